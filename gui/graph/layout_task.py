"""Laying a view out again off the GUI thread (opening a scope, folding weights): the
layout is pure numpy, milliseconds for a collapsed view, under a second for 10,000 boxes."""

from __future__ import annotations

from PySide6.QtCore import QObject, QRunnable, Signal

from opscope.backend.graph.model import ModelGraph
from opscope.gui.graph.scene import GraphScene


class LayoutSignals(QObject):
    done = Signal(object, str)  # GraphScene, the scope that was opened or closed


class LayoutTask(QRunnable):
    def __init__(
        self, graph: ModelGraph, expanded: set[str], focus: str, fold_weights: bool
    ) -> None:
        super().__init__()
        self.graph, self.expanded, self.focus = graph, expanded, focus
        self.fold_weights = fold_weights
        self.signals = LayoutSignals()

    def run(self) -> None:
        scene = GraphScene.build(self.graph, self.expanded, self.fold_weights)
        self.signals.done.emit(scene, self.focus)
