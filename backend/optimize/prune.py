"""Graph pruning on ONNX models: keep outputs, drop dead code, ORT offline passes, onnxslim.

A model served for one of its outputs still computes all of them; cutting the outputs first
and then everything that no longer reaches an output is where most of the savings of a
multi-output model come from. ONNX Runtime's own offline optimizer and onnxslim then fold
constants and fuse what is left.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from opscope.backend.models.base import user_errors
from opscope.backend.models.onnx_model import keep_outputs, op_nodes
from opscope.backend.models.providers import execution_providers
from opscope.errors import OpscopeError

ORT_LEVELS = ("disabled", "basic", "extended", "layout", "all")


def prune_graph(model: Any, outputs: Sequence[str] = ()) -> Any:
    """A copy of ``model`` computing only ``outputs`` (default: all), without dead code.

    Graph inputs that only fed a removed branch are dropped too (a served model should not
    ask its callers for data it ignores), and so are initializers still listed as inputs,
    which old-IR models do and which would otherwise turn into required inputs.
    """
    import onnx

    pruned = onnx.ModelProto()
    pruned.CopyFrom(model)
    graph = pruned.graph
    names = list(outputs) or [o.name for o in graph.output]
    if not names:
        raise OpscopeError("at least one output must be kept")
    keep_outputs(pruned, names)
    read = {i for n in op_nodes(graph) for i in n.inputs} | set(names)
    kept_inputs = [v for v in graph.input if v.name in read]
    del graph.input[:]
    graph.input.extend(kept_inputs)
    produced = {o for n in graph.node for o in n.output}
    kept_info = [v for v in graph.value_info if v.name in produced]
    del graph.value_info[:]
    graph.value_info.extend(kept_info)
    return pruned


def ort_optimize(source: Path, target: Path, level: str) -> None:
    """Save the graph ONNX Runtime builds at ``level`` through ``optimized_model_filepath``.

    Levels ``layout`` and ``all`` add layout transforms and contrib ops chosen for this
    machine's execution provider (NCHWc blocked convolutions on the CPU; fused ops for
    CUDA where onnxruntime-gpu sees a GPU): the file runs best, and maybe only, on the kind
    of machine that produced it.
    """
    import onnxruntime as ort

    if level not in ORT_LEVELS:
        raise OpscopeError(f"unknown optimization level {level!r}; use one of {ORT_LEVELS}")
    names = {
        "disabled": "ORT_DISABLE_ALL",
        "basic": "ORT_ENABLE_BASIC",
        "extended": "ORT_ENABLE_EXTENDED",
        "layout": "ORT_ENABLE_LAYOUT",
        "all": "ORT_ENABLE_ALL",
    }
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.graph_optimization_level = getattr(ort.GraphOptimizationLevel, names[level])
    options.optimized_model_filepath = str(target)
    with user_errors(f"onnxruntime could not optimize the model at level {level}"):
        ort.InferenceSession(str(source), options, providers=execution_providers())
    if not target.is_file() or target.stat().st_size == 0:
        raise OpscopeError(f"onnxruntime wrote no optimized model at level {level}")


def slim(model: Any) -> Any:
    """onnxslim's constant folding, pattern fusions and dead-node elimination."""
    import onnxslim

    with user_errors("onnxslim could not simplify the model"):
        slimmed = onnxslim.slim(model)
    if slimmed is None:
        raise OpscopeError("onnxslim could not simplify the model")
    return slimmed
