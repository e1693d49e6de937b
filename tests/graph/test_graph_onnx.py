"""ONNX graphs: the framework's own node list, shapes from ONNX shape inference, scopes."""

from __future__ import annotations

import json
import subprocess
import sys

import onnx
import pytest

from opscope.backend.graph.extract import extract_graph
from opscope.backend.graph.model import headless_json


def _ignore(fraction: float, message: str) -> None:
    pass


def _inferred(path) -> dict:
    """Every typed tensor's shape as onnx.shape_inference gives it, named dims as names."""
    model = onnx.shape_inference.infer_shapes(onnx.load(str(path)), data_prop=True)
    shapes = {}
    for value in [*model.graph.value_info, *model.graph.input, *model.graph.output]:
        tensor_type = value.type.tensor_type
        dims = tensor_type.shape.dim
        shapes[value.name] = (
            [d.dim_value if d.HasField("dim_value") else d.dim_param or "?" for d in dims]
            if tensor_type.HasField("shape")
            else None
        )
    return shapes


@pytest.mark.parametrize("fixture", ["onnx_tagger", "scoped_onnx", "dynamo_onnx"])
def test_nodes_are_the_models_nodes_and_shapes_are_inferred(fixture, request):
    path = request.getfixturevalue(fixture)
    model = onnx.load(str(path))
    graph = extract_graph(path, _ignore)
    assert [n.name for n in graph.nodes] == [n.name or n.output[0] for n in model.graph.node]
    assert [n.op_type for n in graph.nodes] == [n.op_type for n in model.graph.node]
    inferred = _inferred(path)
    typed = [e for e in graph.edges if e.tensor in inferred]
    assert typed, "shape inference typed no edge"
    for edge in typed:
        assert edge.shape == inferred[edge.tensor], edge.tensor
    producers = {t: n.name for n in model.graph.node for t in n.output}
    for edge in graph.edges:
        assert edge.src == producers.get(edge.tensor, edge.tensor)


def test_symbolic_dims_stay_names(onnx_tagger):
    graph = extract_graph(onnx_tagger, _ignore)
    logits = next(e for e in graph.edges if e.tensor == "logits")
    assert logits.shape == ["batch", 12, 4] and logits.dtype == "float32"
    assert next(e for e in graph.edges if e.tensor == "tags").dst == "tags"  # graph output


def test_scopes_from_names_and_from_the_namespace_property(scoped_onnx, dynamo_onnx):
    named = extract_graph(scoped_onnx, _ignore)
    dynamo = extract_graph(dynamo_onnx, _ignore)
    assert {"layers.0", "layers.1"} <= {n.scope.split("/")[0] for n in named.nodes}
    assert all("/" not in n.name for n in dynamo.nodes)  # flat names …
    scopes = {n.scope for n in dynamo.nodes}
    assert {"layers.0/self_attn", "layers.1/self_attn"} <= scopes  # … scoped all the same


def test_initializers_have_statistics(onnx_tagger):
    import numpy as np
    from onnx import numpy_helper

    graph = extract_graph(onnx_tagger, _ignore)
    table = next(i for i in graph.initializers if i.name == "table")
    array = numpy_helper.to_array(
        next(t for t in onnx.load(str(onnx_tagger)).graph.initializer if t.name == "table")
    )
    assert table.shape == [50, 8] and table.dtype == "float32"
    assert table.stats.min == pytest.approx(float(array.min()))
    assert table.stats.std == pytest.approx(float(array.std()), rel=1e-6)
    assert sum(table.stats.counts) == array.size
    assert np.isfinite(table.stats.mean)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "opscope.cli", "graph", *args], capture_output=True, text=True
    )


def test_cli_json_is_the_issues_shape(onnx_tagger):
    done = _cli(str(onnx_tagger), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data["nodes"][0]) == {"name", "op_type", "scope", "inputs", "outputs"}
    assert set(data["edges"][0]) == {"tensor", "from", "to", "shape", "dtype"}
    assert data == json.loads(json.dumps(headless_json(extract_graph(onnx_tagger, _ignore))))


def test_cli_draws_svg_and_png(onnx_tagger, tmp_path):
    svg, png = tmp_path / "g.svg", tmp_path / "g.png"
    assert _cli(str(onnx_tagger), "-o", str(svg)).returncode == 0
    text = svg.read_text()
    assert text.startswith("<svg") and "Softmax" in text and "batch×12×4 float32" in text
    done = _cli(str(onnx_tagger), "-o", str(png))
    assert done.returncode == 0, done.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_bad_input_is_one_line(tmp_path, onnx_tagger):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model at all")
    for args in ([str(junk), "--json"], [str(onnx_tagger), "-o", str(tmp_path / "g.txt")]):
        done = _cli(*args)
        assert done.returncode == 2
        assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1
        assert done.stderr.startswith("opscope: ")
    assert not (tmp_path / "g.txt").exists()


def test_weight_statistics_on_request_match_the_eager_ones(onnx_tagger):
    """Large models leave statistics to a job run when the details pane asks."""
    from opscope.backend.jobs import JobSpec, run_job

    eager = next(i for i in extract_graph(onnx_tagger, _ignore).initializers if i.name == "w")
    result = run_job(JobSpec("tensor_stats", {"path": str(onnx_tagger), "tensor": "w"}))
    assert result.tensor == "w" and result.stats.counts == eager.stats.counts
    assert result.stats.mean == pytest.approx(eager.stats.mean)
