"""Every field of the clicked slice or instant; a slice's ``args`` are decoded only now.

An onnxruntime kernel slice names the graph node it ran, so its details offer "Show in
graph"; what that opens is the window's business (the pane only says which node).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from opscope.backend.graph.profile_times import node_of_event
from opscope.gui.timeline.ticks import format_duration
from opscope.profiling.trace import Trace

MAX_ARG_CHILDREN = 200  # a huge list in args is shown truncated, not as 100k tree items


def graph_node_of(trace: Trace, index: int) -> str | None:
    """The ONNX graph node an onnxruntime op slice ran (``<node>_kernel_time``), else None."""
    if index < 0 or not trace.is_op[index]:
        return None
    return node_of_event(trace.names[int(trace.name[index])])


class DetailsPane(QWidget):
    graph_requested = Signal(str)  # "Show in graph" of the shown slice's node

    def __init__(self, trace: Trace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.trace = trace
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Field", "Value"])
        self.tree.setColumnWidth(0, 130)
        self.tree.setAlternatingRowColors(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        self.graph_button = QPushButton("Show in graph")
        self.graph_button.setToolTip("The node this onnxruntime kernel ran, in its model's graph")
        self.graph_button.clicked.connect(self._graph_clicked)
        layout.addWidget(self.graph_button)
        self.node = None  # the graph node of the slice shown
        self.show_slice(-1)

    def fields(self, index: int) -> dict[str, str]:
        """The slice's fields as text, in display order."""
        trace = self.trace
        lane = trace.lanes[int(trace.lane[index])]
        start = int(trace.start_ns[index]) - trace.t0_ns
        return {
            "Name": trace.names[int(trace.name[index])],
            "Op type": trace.ops[int(trace.op[index])],
            "Category": trace.categories[int(trace.category[index])],
            "Process": lane.process,
            "Thread": lane.label,
            "Start": format_duration(start, 9),
            "Duration": format_duration(int(trace.dur_ns[index]), 6),
            "Self time": format_duration(int(trace.self_ns[index]), 6),
            "Depth": str(int(trace.depth[index])),
            "Event #": str(index),
        }

    def _graph_clicked(self) -> None:
        if self.node:
            self.graph_requested.emit(self.node)

    def show_slice(self, index: int) -> None:
        self.tree.clear()
        self.node = graph_node_of(self.trace, index)
        self.graph_button.setVisible(self.node is not None)
        if index < 0:
            QTreeWidgetItem(self.tree, ["", "Click a slice in the timeline to see its details"])
            return
        for key, value in self.fields(index).items():
            QTreeWidgetItem(self.tree, [key, value])
        args = QTreeWidgetItem(self.tree, ["args", ""])
        self._add_value(args, self.trace.args_of(index))
        args.setExpanded(True)

    def instant_fields(self, index: int) -> dict[str, str]:
        trace = self.trace
        lane = trace.lanes[int(trace.instant_lane[index])]
        return {
            "Name": trace.names[int(trace.instant_name[index])],
            "Kind": "instant event",
            "Process": lane.process,
            "Thread": lane.label,
            "Time": format_duration(int(trace.instant_ts_ns[index]) - trace.t0_ns, 9),
            "Instant #": str(index),
        }

    def show_instant(self, index: int) -> None:
        self.tree.clear()
        self.node = None
        self.graph_button.hide()
        for key, value in self.instant_fields(index).items():
            QTreeWidgetItem(self.tree, [key, value])

    def value_of(self, field: str) -> str | None:
        """The text shown for a top-level field or an ``args`` key (for tests and copy)."""
        for item in self._items(self.tree.invisibleRootItem()):
            if item.text(0) == field:
                return item.text(1)
        return None

    def _items(self, parent: QTreeWidgetItem):
        for i in range(parent.childCount()):
            child = parent.child(i)
            yield child
            yield from self._items(child)

    def _add_value(self, parent: QTreeWidgetItem, value: Any) -> None:
        if isinstance(value, dict):
            entries = list(value.items())
        elif isinstance(value, list):
            entries = [(f"[{i}]", v) for i, v in enumerate(value)]
        else:
            parent.setText(1, str(value))
            return
        parent.setText(1, f"{len(entries)} items" if not entries or len(entries) > 8 else "")
        for key, child_value in entries[:MAX_ARG_CHILDREN]:
            child = QTreeWidgetItem(parent, [str(key), ""])
            self._add_value(child, child_value)
        if len(entries) > MAX_ARG_CHILDREN:
            QTreeWidgetItem(parent, ["…", f"{len(entries) - MAX_ARG_CHILDREN} more"])
