"""Which of the user's nodes each node of onnxruntime's optimized graph ran.

At its default level onnxruntime folds BatchNormalization into Conv, fuses activations and
residual adds into it, and rewrites Conv / MaxPool to NCHWc kernels named after a tensor
(``/Relu_output_0_nchwc``) that read and write tensors of its own (``reorder_token_3``);
its profile's events name those nodes, not the user's. The optimized graph (which the
profile saves, :func:`opscope.backend.optimize.profile.ort_optimized_model`) says what ran;
this module maps each of its nodes to the original nodes it covers: the original tensor
each of its tensors stands for (same name; named after it; passed through a layout
reorder; the input of the node it rewrites), then the original nodes between its inputs
and outputs. Its time goes to one of them (the node it rewrites, by name or op type) so
the per-node times still add up to the profile's; the others say where they ran.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from opscope.backend.contracts.graph import NodeTime
from opscope.backend.graph.model import GraphNode, ModelGraph

REORDERS = frozenset({"ReorderInput", "ReorderOutput"})  # layout changes ORT inserts
# what onnxruntime appends to the name of the tensor or node a rewritten node is named after
NAME_SUFFIXES = ("_nchwc", "_new_reshape")


@dataclass(frozen=True)
class OptimizedGraph:
    nodes: list[GraphNode]  # op_type as onnxruntime runs it, no scopes
    weights: frozenset[str]  # its initializers (folded constants included)


@dataclass
class Coverage:
    """One optimized node: the original nodes it ran and the one its time is counted on."""

    node: GraphNode
    covered: list[str] = field(default_factory=list)
    primary: str = ""


def read_optimized_graph(path: str | Path) -> OptimizedGraph:
    """The nodes of the optimized ONNX file onnxruntime saved (its weights are not read)."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    nodes = [
        GraphNode(
            name=n.name,
            op_type=n.op_type,
            scope="",
            inputs=list(n.input),
            outputs=list(n.output),
        )
        for n in model.graph.node
    ]
    return OptimizedGraph(nodes, frozenset(i.name for i in model.graph.initializer))


def _stripped(name: str) -> str:
    for suffix in NAME_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _matches(original: GraphNode, optimized: GraphNode) -> int:
    """How surely ``original`` is the node ``optimized`` rewrites (0: not at all)."""
    if original.name in (optimized.name, _stripped(optimized.name)):
        return 3
    if optimized.name.startswith(original.name + "/"):  # e.g. /Mul/QuickGeluFusion/
        return 2
    return 1 if original.op_type == optimized.op_type else 0


def _constants(graph: ModelGraph) -> set[str]:
    """Weights and what is computed from weights alone (onnxruntime folds those nodes:
    they never run, so no kernel covers them)."""
    constant = {i.name for i in graph.initializers}
    for node in graph.nodes:  # in topological order
        if all(t in constant for t in node.inputs if t):
            constant.update(node.outputs)
    return constant


class _Mapper:
    def __init__(self, graph: ModelGraph, optimized: OptimizedGraph) -> None:
        self.graph, self.optimized = graph, optimized
        self.by_name = {n.name: n for n in graph.nodes}
        self.order = {n.name: i for i, n in enumerate(graph.nodes)}
        self.producer = {t: n for n in graph.nodes for t in n.outputs}
        self.weights = _constants(graph)
        self.tensors = set(self.producer) | set(graph.inputs)
        self.logical: dict[str, str] = {}  # optimized tensor -> the original tensor it is

    def _data(self, tensors: Iterable[str], weights: Iterable[str]) -> list[str]:
        skip = set(weights)
        return [t for t in tensors if t and t not in skip]

    def _through_reorders(self) -> None:
        """A reorder's output is its input in another layout: the same original tensor."""
        for _ in range(len(self.optimized.nodes)):
            changed = False
            for node in self.optimized.nodes:
                if node.op_type not in REORDERS or not node.inputs or not node.outputs:
                    continue
                a, b = node.inputs[0], node.outputs[0]
                for known, unknown in ((a, b), (b, a)):
                    if known in self.logical and unknown not in self.logical:
                        self.logical[unknown] = self.logical[known]
                        changed = True
            if not changed:
                return

    def _walk_back(
        self, outputs: list[str], stops: set[str], blocked: Iterable[str] = ()
    ) -> list[str]:
        """The original nodes from ``outputs`` back to the ``stops`` tensors (and not through
        ``blocked`` nodes), in graph order."""
        seen: set[str] = set()
        stack = [self.producer[t].name for t in outputs if t in self.producer]
        while stack:
            name = stack.pop()
            if name in seen or name in blocked:
                continue
            seen.add(name)
            for tensor in self.by_name[name].inputs:
                if tensor in stops or tensor in self.weights or tensor not in self.producer:
                    continue
                stack.append(self.producer[tensor].name)
        return sorted(seen, key=self.order.__getitem__)

    def _best(self, names: list[str], node: GraphNode) -> str:
        ranked = [(_matches(self.by_name[n], node), -self.order[n], n) for n in names]
        best = max(ranked, default=(0, 0, ""))
        return best[2] if best[0] else ""

    def _named(self, kernels: list[GraphNode]) -> dict[str, GraphNode]:
        """Original nodes an optimized node is named after (``/MatMul/MatMulAddFusion``
        after ``/MatMul``): they belong to it whatever its tensors say."""
        named: dict[str, GraphNode] = {}
        for node in kernels:
            stripped = _stripped(node.name)
            if stripped in self.by_name:
                named.setdefault(stripped, node)
                continue
            parts = node.name.split("/")
            for end in range(len(parts) - 1, 0, -1):
                prefix = "/".join(parts[:end])
                if prefix in self.by_name:
                    named.setdefault(prefix, node)
                    break
        return named

    def map(self) -> list[Coverage]:
        opt_weights = self.optimized.weights
        kernels = [n for n in self.optimized.nodes if n.op_type not in REORDERS]
        for node in self.optimized.nodes:  # tensors both graphs have
            for tensor in self._data([*node.inputs, *node.outputs], opt_weights):
                if tensor in self.tensors:
                    self.logical[tensor] = tensor
        for node in kernels:  # a rewritten node named after the tensor it writes
            named = _stripped(node.name)
            if len(node.outputs) == 1 and named in self.tensors:
                self.logical.setdefault(node.outputs[0], named)
        self._through_reorders()
        # a node that rewrites one original node (same op) reads what that node read; this
        # also corrects a node named before later fusions (a residual Add) extended it
        for node in kernels:
            outputs = [self.logical[t] for t in node.outputs if t in self.logical]
            region = self._walk_back(outputs, set(self.logical.values()) - set(outputs))
            rewritten = [n for n in region if self.by_name[n].op_type == node.op_type]
            if not rewritten:
                continue
            original = self.by_name[max(rewritten, key=self.order.__getitem__)]
            theirs = self._data(original.inputs, self.weights)
            ours = self._data(node.inputs, opt_weights)[: len(theirs)]
            for tensor, meant in zip(ours, theirs, strict=False):
                if tensor not in self.tensors:
                    self.logical[tensor] = meant
        self._through_reorders()
        materialized = set(self.logical.values())
        named = self._named(kernels)  # original node -> the kernel named after it
        claimed: set[str] = set()
        coverages = []
        for node in self.optimized.nodes:
            coverage = Coverage(node)
            coverages.append(coverage)
            if node.op_type in REORDERS:
                continue
            outputs = [self.logical[t] for t in node.outputs if t in self.logical]
            inputs = {self.logical.get(t, t) for t in node.inputs}
            stops = inputs | (materialized - set(outputs))
            others = {n for n, k in named.items() if k is not node}
            walked = self._walk_back(outputs, stops, others)
            walked += [n for n, k in named.items() if k is node and n not in walked]
            walked.sort(key=self.order.__getitem__)
            coverage.covered = [n for n in walked if n not in claimed]
            claimed.update(coverage.covered)
            coverage.primary = self._best(coverage.covered, node) or (
                coverage.covered[-1] if coverage.covered else ""
            )
        return coverages


def map_optimized_nodes(graph: ModelGraph, optimized: OptimizedGraph) -> list[Coverage]:
    """Per optimized node (in its order): the original nodes it ran, and its primary one."""
    return _Mapper(graph, optimized).map()


def _reorder_owner(node: GraphNode, coverages: list[Coverage]) -> str:
    """The original node a layout reorder serves: the producer of what ReorderOutput turns
    back to NCHW, the first reader of what ReorderInput turns into NCHWc."""
    for coverage in coverages:
        other = coverage.node
        if not coverage.primary:
            continue
        if node.op_type == "ReorderOutput" and set(node.inputs) & set(other.outputs):
            return coverage.primary
        if node.op_type == "ReorderInput" and set(node.outputs) & set(other.inputs):
            return coverage.primary
    return ""


def attribute_times(
    graph: ModelGraph, optimized: OptimizedGraph, kernel_times: dict[str, NodeTime]
) -> dict[str, NodeTime]:
    """Times per original node from times per optimized node (``node_times`` of the
    profile). A fused node's time is counted once, on its primary node; the nodes fused with
    it get no time of their own and name where they ran; a layout reorder's time is added
    to the node it serves. Optimized nodes that cover no original node keep their own name
    (added by onnxruntime). The sums of ``total_ns`` and ``self_ns`` equal the profile's."""
    coverages = map_optimized_nodes(graph, optimized)
    times: dict[str, NodeTime] = {}

    def add(name: str, t: NodeTime) -> None:
        old = times.get(name)
        if old is None:
            times[name] = t
            return
        times[name] = msgspec.structs.replace(
            old if old.ran_as or not t.ran_as else t,  # keep where the node ran
            count=max(old.count, t.count),
            total_ns=old.total_ns + t.total_ns,
            self_ns=old.self_ns + t.self_ns,
            added_ns=old.added_ns + t.added_ns,
            added=[*old.added, *t.added],
        )

    done: set[str] = set()  # an event name two optimized nodes share is counted once
    for coverage in coverages:
        node, measured = coverage.node, kernel_times.get(coverage.node.name)
        if measured is None or node.name in done:
            continue
        done.add(node.name)
        owner = _reorder_owner(node, coverages) if node.op_type in REORDERS else ""
        if owner:
            ns = measured.self_ns
            add(owner, NodeTime(0, measured.total_ns, ns, added_ns=ns, added=[node.name]))
        elif coverage.primary:
            ran = {"ran_as": node.name, "ran_op": node.op_type}
            for name in coverage.covered:
                fused = [n for n in coverage.covered if n != name]
                if name == coverage.primary:
                    add(name, msgspec.structs.replace(measured, fused_with=fused, **ran))
                else:
                    counted = {"counted_on": coverage.primary, "fused_with": fused}
                    add(name, NodeTime(measured.count, 0, 0, **counted, **ran))
        else:
            add(node.name, measured)  # ran, but stands for no node of the user's graph
    for name, measured in kernel_times.items():
        if name not in done:  # not in the optimized graph (another session's profile)
            add(name, measured)
    return times
