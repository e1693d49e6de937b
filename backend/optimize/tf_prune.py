"""TensorFlow-native pruning of a SavedModel, for models that stay in TensorFlow Serving.

The serving signature is wrapped to return only the outputs the user keeps, its variables
are frozen into constants (``convert_variables_to_constants_v2``), everything the kept
outputs do not need is cut (``extract_sub_graph``), and ``optimize_for_inference`` and
grappler (constant folding, arithmetic, dependency, remapper) shrink what is left. A
multi-output ranking model served for one output loses the whole other branch this way,
and the Const / Variable / Identity counts before and after show where the savings came
from. ``-o DIR`` writes a SavedModel, ``-o FILE.pb`` a frozen GraphDef; TensorFlow writes
into a private folder and the result is moved into place only after it is verified.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from opscope.backend.contracts.optimize import OptimizeOptions
from opscope.backend.models import open_model
from opscope.backend.models.base import quiet_native_output, user_errors
from opscope.backend.models.tensorflow_model import graphdef_summary, import_tf, node_name
from opscope.backend.optimize.bench import batch_of, measure_interleaved
from opscope.backend.optimize.outputs import write_outputs
from opscope.backend.optimize.reference import (
    ReferenceSettings,
    reference_inputs,
    tolerances,
    work_folder,
)
from opscope.backend.optimize.report import build_tf_report
from opscope.backend.summary import path_size
from opscope.backend.verify import compare_outputs
from opscope.errors import OpscopeError
from opscope.progress import Progress, Step

GRAPPLER_PASSES = ("constfold", "arithmetic", "dependency", "remap")
ONNX_ONLY = ("level", "slim", "quantize", "auto")


@dataclass
class FrozenGraph:
    """A GraphDef without variables, and the tensors its signature reads and returns."""

    graph_def: Any
    inputs: dict[str, str]
    outputs: dict[str, str]

    def counts(self) -> dict[str, int]:
        """Const / Variable / Identity / total node counts, as the report gives them."""
        summary = graphdef_summary(self.graph_def, list(self.outputs.values()), "graphdef")
        return node_counts(summary)


def node_counts(summary: Any) -> dict[str, int]:
    return {
        "const": summary.const,
        "variable": summary.variable,
        "identity": summary.identity,
        "total": summary.nodes,
    }


def freeze(adapter: Any, keep: list[str]) -> FrozenGraph:
    """The serving signature for the kept outputs only, with variables as constants."""
    tf = import_tf()
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    function, names = adapter.function, [s.name for s in adapter.input_specs()]
    signature = adapter.function.structured_input_signature[1]

    @tf.function(input_signature=[signature[n] for n in names])
    def served(*args: Any) -> dict[str, Any]:
        result = function(**dict(zip(names, args, strict=True)))
        return {key: result[key] for key in keep}

    with user_errors("TensorFlow could not freeze the serving function"):
        frozen = convert_variables_to_constants_v2(served.get_concrete_function())
    order = tf.nest.flatten({key: key for key in keep})  # how the outputs were flattened
    by_key = dict(zip(order, (t.name for t in frozen.outputs), strict=True))
    outputs = {key: by_key[key] for key in keep}
    inputs = {name: tensor.name for name, tensor in zip(names, frozen.inputs, strict=True)}
    return FrozenGraph(frozen.graph.as_graph_def(), inputs, outputs)


def _grappler(graph_def: Any, fetch: list[str]) -> Any:
    """Grappler's constant folding, arithmetic and dependency passes, kept to ``fetch``."""
    tf = import_tf()
    from tensorflow.core.protobuf import config_pb2, meta_graph_pb2
    from tensorflow.python.grappler import tf_optimizer

    config = config_pb2.ConfigProto()
    config.graph_options.rewrite_options.optimizers[:] = GRAPPLER_PASSES
    with tf.Graph().as_default():
        meta_graph = tf.compat.v1.train.export_meta_graph(graph_def=graph_def)
    collection = meta_graph_pb2.CollectionDef()
    collection.node_list.value.extend(fetch)
    meta_graph.collection_def["train_op"].CopyFrom(collection)
    return tf_optimizer.OptimizeGraph(config, meta_graph)


def optimize(frozen: FrozenGraph) -> FrozenGraph:
    """Cut what the kept outputs do not need, then optimize_for_inference and grappler."""
    tf = import_tf()
    from tensorflow.python.tools import optimize_for_inference_lib

    input_nodes = [node_name(t) for t in frozen.inputs.values()]
    output_nodes = [node_name(t) for t in frozen.outputs.values()]
    by_name = {n.name: n for n in frozen.graph_def.node}
    types = [by_name[n].attr["dtype"].type for n in input_nodes]
    # optimize_for_inference logs TF1 deprecation notices; the CLI's stderr stays clean
    with user_errors("TensorFlow could not optimize the frozen graph"), quiet_native_output():
        graph = tf.compat.v1.graph_util.extract_sub_graph(frozen.graph_def, output_nodes)
        graph = optimize_for_inference_lib.optimize_for_inference(
            graph, input_nodes, output_nodes, types
        )
        graph = _grappler(graph, input_nodes + output_nodes)
    return FrozenGraph(graph, frozen.inputs, frozen.outputs)


def as_function(frozen: FrozenGraph) -> Any:
    """The frozen graph as a callable ``(*inputs) -> [outputs]`` (a pruned wrapped function)."""
    tf = import_tf()

    def load() -> None:
        tf.compat.v1.import_graph_def(frozen.graph_def, name="")

    with user_errors("TensorFlow could not load the pruned graph"):
        wrapped = tf.compat.v1.wrap_function(load, [])
        graph = wrapped.graph
        return wrapped.prune(
            [graph.as_graph_element(t) for t in frozen.inputs.values()],
            [graph.as_graph_element(t) for t in frozen.outputs.values()],
        )


def write_savedmodel(frozen: FrozenGraph, adapter: Any, folder: Path) -> None:
    """A SavedModel whose ``serving_default`` takes the same inputs, returns the kept outputs."""
    tf = import_tf()
    pruned, names = as_function(frozen), list(frozen.inputs)
    signature = adapter.function.structured_input_signature[1]

    @tf.function(input_signature=[signature[n] for n in names])
    def serve(*args: Any) -> dict[str, Any]:
        return dict(zip(frozen.outputs, pruned(*args), strict=True))

    module = tf.Module()
    module.serve = serve
    with user_errors("TensorFlow could not save the pruned SavedModel"):
        tf.saved_model.save(module, str(folder), signatures={"serving_default": serve})


def write(frozen: FrozenGraph, adapter: Any, path: Path) -> None:
    """``path`` ending in ``.pb``: the frozen GraphDef; otherwise a SavedModel folder."""
    if path.suffix == ".pb":
        path.write_bytes(frozen.graph_def.SerializeToString())
    else:
        write_savedmodel(frozen, adapter, path)


def load_written(path: Path, frozen: FrozenGraph) -> Any:
    """What was written, loaded back as a server would: ``(inputs) -> [outputs]``."""
    tf = import_tf()
    if path.suffix == ".pb":
        graph_def = tf.compat.v1.GraphDef()
        graph_def.ParseFromString(path.read_bytes())
        return runner_of(FrozenGraph(graph_def, frozen.inputs, frozen.outputs))
    with user_errors("TensorFlow cannot load the pruned SavedModel"):
        function = tf.saved_model.load(str(path)).signatures["serving_default"]
    keys = list(frozen.outputs)
    return lambda inputs: [np.asarray(function(**inputs)[k]) for k in keys]


def runner_of(frozen: FrozenGraph) -> Any:
    """An in-memory graph as ``(inputs) -> [outputs]``, to verify a step before writing."""
    tf = import_tf()
    function, names = as_function(frozen), list(frozen.inputs)

    def run(inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        return [np.asarray(v) for v in function(*(tf.constant(inputs[n]) for n in names))]

    return run


def kept_outputs(adapter: Any, options: OptimizeOptions) -> list[str]:
    """The outputs to keep, or an error for options that only apply to the ONNX route."""
    used = [name for name in ONNX_ONLY if getattr(options, name)]
    if used:
        raise OpscopeError(f"--tf-native does not combine with --{used[0]} (an ONNX step)")
    if adapter.format != "tensorflow-savedmodel":
        raise OpscopeError("--tf-native takes a TensorFlow SavedModel folder")
    names = adapter.output_names()
    missing = [n for n in options.keep_outputs if n not in names]
    if missing:
        raise OpscopeError(f"the model has no output {missing[0]!r} (outputs: {', '.join(names)})")
    return [n for n in names if n in options.keep_outputs] or names


@dataclass
class Expected:
    """The original's kept outputs on fixed inputs, and how closely a variant must match."""

    inputs: dict[str, np.ndarray]
    outputs: list[np.ndarray]
    settings: ReferenceSettings

    def verify(self, run: Any) -> dict[str, Any]:
        rtol, atol = tolerances(self.settings.tolerance)
        actual = run(self.inputs)
        return compare_outputs(self.outputs, actual, rtol, atol, self.settings.min_top1).to_dict()


def _step(name: str, detail: str, before: int, after: FrozenGraph, verify: dict) -> dict:
    return {
        "name": name,
        "detail": detail,
        "nodes_before": before,
        "nodes_after": len(after.graph_def.node),
        "verify": verify,
    }


def prune_steps(adapter: Any, keep: list[str], expected: Expected, track: Progress):
    """Freeze, then optimize; each verified. Returns (final graph, step dicts)."""
    track(Step.PRUNE, 0.2, "freezing variables into constants, keeping " + ", ".join(keep))
    frozen = freeze(adapter, keep)
    track(Step.VERIFY, 0.35, "the frozen graph")
    before = adapter.summary().nodes
    steps = [
        _step(
            "tf-freeze",
            f"keep outputs {', '.join(keep)}; variables to constants",
            before,
            frozen,
            expected.verify(runner_of(frozen)),
        )
    ]
    track(Step.PRUNE, 0.45, "optimize_for_inference and grappler")
    pruned = optimize(frozen)
    track(Step.VERIFY, 0.55, "the optimized graph")
    detail = "extract_sub_graph, optimize_for_inference, grappler " + "/".join(GRAPPLER_PASSES)
    verify = expected.verify(runner_of(pruned))
    steps.append(_step("tf-optimize", detail, len(frozen.graph_def.node), pruned, verify))
    return pruned, steps


def optimize_savedmodel(
    source: Path, target: Path, options: OptimizeOptions, track: Progress
) -> dict[str, Any]:
    """The TensorFlow route of ``optimize_model``: prune, verify, time, write atomically."""
    adapter = open_model(source)
    keep = kept_outputs(adapter, options)
    settings = ReferenceSettings.of(options)
    inputs = reference_inputs(adapter.input_specs(), settings)
    track(Step.VERIFY, 0.1, "running the original")
    names = adapter.output_names()
    outputs = adapter.run(inputs)
    expected = Expected(inputs, [outputs[names.index(k)] for k in keep], settings)
    pruned, steps = prune_steps(adapter, keep, expected, track)
    with work_folder() as folder:
        written = Path(folder) / ("model.pb" if target.suffix == ".pb" else "savedmodel")
        kind = "GraphDef" if written.suffix else "SavedModel"
        track(Step.PRUNE, 0.65, f"writing the pruned {kind}")
        write(pruned, adapter, written)
        track(Step.VERIFY, 0.7, "the written model, loaded back")
        run = load_written(written, pruned)
        verify = expected.verify(run)
        track(Step.BENCHMARK, 0.75, "measuring original and pruned, interleaved")
        runners = {"original": lambda: adapter.run(inputs), "optimized": lambda: run(inputs)}
        batch = batch_of(inputs)
        latency = measure_interleaved(runners, options.runs, options.warmup, batch)
        after = graphdef_summary(pruned.graph_def, list(pruned.outputs.values()), "graphdef")
        after.size_bytes = path_size(written)
        before = adapter.summary()
        counts = {"before": node_counts(before), "after": pruned.counts()}
        result = build_tf_report(
            (source, target), before, after, steps, verify, latency, counts, batch
        )
        track(Step.BENCHMARK, 0.95, f"writing {target.name}")
        write_outputs(written, target, result, options.report)
    return result
