"""onnxruntime's fused and NCHWc-rewritten nodes get their times back on the user's nodes,
through the optimized graph the profile job saves; the per-node sums stay the profile's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from graph_fixtures import legacy_onnx

from opscope.backend.contracts.base import encode
from opscope.backend.graph.files import load_graph_file
from opscope.backend.graph.ort_fusion import map_optimized_nodes, read_optimized_graph
from opscope.backend.graph.profile_times import ran_graph
from opscope.backend.jobs import JobSpec, decode_result, run_job


def _residual_cnn():
    """Conv-BN-ReLU, a residual Conv-BN-Add-ReLU, MaxPool, Conv-ReLU, x*sigmoid(x), head:
    the patterns onnxruntime fuses at its default level."""
    import torch

    class ResidualCNN(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = torch.nn.Conv2d(3, 16, 3, padding=1)
            self.bn1 = torch.nn.BatchNorm2d(16)
            self.conv2 = torch.nn.Conv2d(16, 16, 3, padding=1)
            self.bn2 = torch.nn.BatchNorm2d(16)
            self.conv3 = torch.nn.Conv2d(16, 32, 3, stride=2, padding=1)
            self.head = torch.nn.Linear(32, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = torch.relu(self.bn1(self.conv1(x)))
            x = torch.relu(self.bn2(self.conv2(x)) + x)
            x = torch.relu(self.conv3(torch.nn.functional.max_pool2d(x, 2)))
            return self.head((torch.sigmoid(x) * x).mean(dim=(2, 3)))

    torch.manual_seed(0)
    model = ResidualCNN().eval()
    with torch.no_grad():
        for bn in (model.bn1, model.bn2):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
    return model, torch.randn(1, 3, 32, 32)


@pytest.fixture(scope="module")
def residual_onnx(tmp_path_factory) -> Path:
    """Exported without constant folding: BatchNormalization stays a node of its own."""
    model, example = _residual_cnn()
    path = tmp_path_factory.mktemp("fusion") / "residual.onnx"
    legacy_onnx(model, example, path, do_constant_folding=False)
    return path


@pytest.fixture(scope="module")
def profiled(residual_onnx, tmp_path_factory):
    """The Graph tab's chain of jobs: profile, import, node times over the graph shown."""
    output = tmp_path_factory.mktemp("profile") / "residual-profile.json"
    params = {"path": str(residual_onnx), "output": str(output), "runs": 4}
    run_job(JobSpec("profile_model", params))
    imported = run_job(JobSpec("import_trace", {"path": str(output)}))
    graph_file = run_job(JobSpec("model_graph", {"path": str(residual_onnx)})).graph_file
    params = {"trace_file": imported.trace_file, "profile": str(output)}
    result = run_job(JobSpec("node_times", params | {"graph_file": graph_file}))
    times = decode_result("node_times", encode(result)).times
    plain = run_job(JobSpec("node_times", {"trace_file": imported.trace_file})).times
    return output, load_graph_file(graph_file)[0], times, plain


def _profile_totals(path: Path) -> tuple[int, dict[str, int]]:
    per_event: dict[str, int] = {}
    for event in json.loads(path.read_text()):
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            name = event["name"].removesuffix("_kernel_time")
            per_event[name] = per_event.get(name, 0) + int(event["dur"]) * 1000
    return sum(per_event.values()), per_event


def test_every_conv_gets_the_time_of_the_kernel_it_ran_as(profiled):
    output, graph, times, plain = profiled
    ops = {n.name: n.op_type for n in graph.nodes}
    assert {"Conv", "BatchNormalization", "Relu", "Add", "MaxPool"} <= set(ops.values())
    # as the profile names them, the Convs ran as NCHWc kernels named after tensors
    assert not any(ops.get(name) == "Conv" for name in plain)
    assert any(name.endswith("_nchwc") for name in plain)
    convs = [name for name, op in ops.items() if op == "Conv"]
    for conv in convs:
        t = times[conv]
        assert t.self_ns > 0 and t.count == 4 and t.ran_as in plain and not t.counted_on
        assert t.total_ns >= plain[t.ran_as].total_ns
    for name, op in ops.items():  # what ran inside a Conv names it and has no time
        if op in ("BatchNormalization", "Relu", "Add"):
            t = times[name]
            assert ops[t.counted_on] == "Conv" and t.self_ns == t.total_ns == 0
            assert name in times[t.counted_on].fused_with
            assert times[t.counted_on].ran_as == t.ran_as
    add = next(name for name, op in ops.items() if op == "Add")
    conv2 = times[add].counted_on  # the residual add ran in the second conv, not the pool
    assert "MaxPool" not in {ops[n] for n in times[conv2].fused_with}


def test_the_per_node_sums_still_equal_the_profiles_totals(profiled):
    output, graph, times, plain = profiled
    total, per_event = _profile_totals(output)
    assert sum(t.total_ns for t in times.values()) == total
    assert sum(t.self_ns for t in times.values()) == total
    assert {name: t.total_ns for name, t in plain.items()} == per_event
    # a layout reorder onnxruntime added is overhead of the node it serves
    reorders = [name for name in per_event if name.startswith("Reorder")]
    assert reorders
    for reorder in reorders:
        owner = next(name for name, t in times.items() if reorder in t.added)
        assert owner in {n.name for n in graph.nodes}
        assert times[owner].added_ns == per_event[reorder] and reorder not in times
    assert set(times) <= {n.name for n in graph.nodes}  # nothing left unattributed here


def test_the_profile_keeps_the_graph_onnxruntime_ran(profiled):
    output, graph, times, plain = profiled
    saved = ran_graph(output)
    assert saved is not None and saved.stat().st_size < output.stat().st_size * 4
    optimized = read_optimized_graph(saved)
    assert {n.name for n in optimized.nodes} == set(plain)  # every event is a node of it
    covered = [name for c in map_optimized_nodes(graph, optimized) for name in c.covered]
    assert len(covered) == len(set(covered))  # no node is counted by two kernels
    constants = {n.name for n in graph.nodes if n.op_type in ("Constant", "Identity")}
    assert constants and not constants & set(covered)  # folded into weights: never ran
