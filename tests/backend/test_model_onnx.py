"""Inspecting ONNX models: counts, unused nodes, external data, and the onnx package's nets."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import pytest

from opscope.backend.contracts.base import to_builtins
from opscope.backend.inspect import inspect_model
from opscope.backend.jobs import JobSpec, run_job
from opscope.backend.models import open_model
from opscope.cli import main as opscope_main
from opscope.errors import OpscopeError

LIGHT = Path(onnx.__file__).parent / "backend/test/data/light"


def test_onnx_summary_counts_dead_branch_and_stray_weight(onnx_tagger: Path) -> None:
    data = inspect_model(onnx_tagger).to_dict()
    assert data["format"] == "onnx"
    assert data["nodes"] == 5
    assert data["op_counts"] == {"Gather": 1, "Identity": 1, "MatMul": 1, "Relu": 1, "Softmax": 1}
    assert data["identity"] == 1
    assert data["unused_nodes"] == ["dead_relu", "dead_identity"]
    assert data["unused_initializers"] == ["stray"]
    assert data["params"] == 50 * 8 + 8 * 4 + 3
    assert data["param_bytes"] == 4 * data["params"]
    assert data["inputs"] == [{"name": "ids", "dtype": "int64", "shape": ["batch", 12]}]
    assert data["outputs"][0]["shape"] == ["batch", 12, 4]
    assert data["opset"] == 17
    assert data["producer"] == "opscope-tests"
    assert data["size_bytes"] == onnx_tagger.stat().st_size
    assert data["quant_nodes"] == 0


def test_onnx_input_ids_stay_below_vocabulary(onnx_tagger: Path) -> None:
    adapter = open_model(onnx_tagger)
    [spec] = adapter.input_specs()
    assert spec.high == 50
    from opscope.backend.inputs import random_inputs

    ids = random_inputs(adapter.input_specs())["ids"]
    assert ids.shape == (2, 12) and ids.max() < 50
    [tags] = adapter.run({"ids": ids})
    np.testing.assert_allclose(tags.sum(-1), 1.0, rtol=1e-5)


def test_inspect_job_returns_cli_json_plus_path(onnx_tagger: Path, capsys) -> None:
    messages = []
    spec = JobSpec("inspect_model", {"path": str(onnx_tagger)})
    result = run_job(spec, lambda step, f, m: messages.append((f, m)))
    assert messages[0][0] == 0.0 and messages[-1][0] == 1.0
    assert opscope_main(["inspect", str(onnx_tagger), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert to_builtins(result) == {"frozen": None, **printed, "path": str(onnx_tagger)}


def test_inspect_text_output(onnx_tagger: Path, capsys) -> None:
    assert opscope_main(["inspect", str(onnx_tagger)]) == 0
    out = capsys.readouterr().out
    assert "nodes        5" in out and "ids: int64 batchx12" in out


def _quantized_model(path: Path) -> Path:
    from onnx import TensorProto, helper, numpy_helper

    inits = [
        numpy_helper.from_array(np.array(0.1, np.float32), "scale"),
        numpy_helper.from_array(np.array(0, np.uint8), "zero"),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "scale", "zero"], ["q"]),
        helper.make_node("DequantizeLinear", ["q", "scale", "zero"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "qdq",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_quantization_nodes_are_counted(tmp_path: Path) -> None:
    data = inspect_model(_quantized_model(tmp_path / "qdq.onnx")).to_dict()
    assert data["quant_nodes"] == 2
    assert data["unused_nodes"] == [] and data["unused_initializers"] == []


def _external_model(folder: Path, location: str) -> Path:
    """A model whose weight lives in an external file named ``location``."""
    from onnx import TensorProto, helper, numpy_helper

    weight = numpy_helper.from_array(np.array([1, 2, 3, 4], np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "w"], ["y"])],
        "ext",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
        [weight],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(
        model,
        str(folder / "m.onnx"),
        save_as_external_data=True,
        size_threshold=0,
        location="weights.bin",
    )
    loaded = onnx.load(str(folder / "m.onnx"), load_external_data=False)
    assert loaded.graph.initializer[0].data_location == TensorProto.EXTERNAL
    for entry in loaded.graph.initializer[0].external_data:
        if entry.key == "location":
            entry.value = location
    onnx.save(loaded, str(folder / "m.onnx"))
    return folder / "m.onnx"


def test_external_data_inside_the_folder_is_read(tmp_path: Path) -> None:
    path = _external_model(tmp_path / "ok", "weights.bin")
    data = inspect_model(path).to_dict()
    assert data["params"] == 4
    assert data["size_bytes"] == path.stat().st_size + (tmp_path / "ok/weights.bin").stat().st_size
    x = np.ones(4, np.float32)
    np.testing.assert_array_equal(open_model(path).run({"x": x})[0], [2, 3, 4, 5])


@pytest.mark.parametrize("location", ["../secret.bin", "/etc/passwd"])
def test_external_data_outside_the_folder_is_refused(tmp_path: Path, location: str) -> None:
    (tmp_path / "secret.bin").write_bytes(np.arange(4, dtype=np.float32).tobytes())
    path = _external_model(tmp_path / "model", location)
    with pytest.raises(OpscopeError, match="outside the model's folder"):
        inspect_model(path)


def _onnx_own_view(model: onnx.ModelProto) -> dict:
    graph = model.graph
    inits = {t.name for t in graph.initializer}
    return {
        "nodes": len(graph.node),
        "op_counts": dict(Counter(n.op_type for n in graph.node)),
        "initializers": len(graph.initializer),
        "params": sum(int(np.prod(t.dims)) for t in graph.initializer),
        "inputs": [i.name for i in graph.input if i.name not in inits],
        "outputs": [o.name for o in graph.output],
        "opset": next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
    }


@pytest.mark.parametrize("path", sorted(LIGHT.glob("*.onnx")), ids=lambda p: p.stem)
def test_light_architectures_match_onnx_view(path: Path) -> None:
    data = inspect_model(path).to_dict()
    own = _onnx_own_view(onnx.load(str(path)))
    assert data["nodes"] == own["nodes"]
    assert data["op_counts"] == own["op_counts"]
    assert data["initializers"] == own["initializers"]
    assert data["params"] == own["params"]
    assert [i["name"] for i in data["inputs"]] == own["inputs"]
    assert [o["name"] for o in data["outputs"]] == own["outputs"]
    assert data["opset"] == own["opset"]
    assert data["unused_nodes"] == []
    assert data["size_bytes"] == path.stat().st_size


def test_light_architectures_present() -> None:
    names = {p.stem for p in LIGHT.glob("*.onnx")}
    assert {"light_resnet50", "light_densenet121", "light_vgg19"} <= names


def test_sessions_run_on_cpu_unless_cuda_runs(monkeypatch) -> None:
    """The CUDA path needs onnxruntime-gpu on a GPU machine (tests/backend/test_cuda_provider.py
    runs there); here every session runs on the CPU provider, OPSCOPE_DEVICE=cpu forces it
    anywhere, and OPSCOPE_DEVICE=cuda where CUDA cannot run is a one-line error."""
    from opscope.backend.models.providers import cuda_runs, execution_providers

    expected = ["CUDAExecutionProvider"] * cuda_runs() + ["CPUExecutionProvider"]
    assert execution_providers() == expected
    monkeypatch.setenv("OPSCOPE_DEVICE", "cpu")
    assert execution_providers() == ["CPUExecutionProvider"]
    monkeypatch.setenv("OPSCOPE_DEVICE", "gpu0")
    with pytest.raises(OpscopeError, match="use one of auto, cpu, cuda"):
        execution_providers()
    if not cuda_runs():
        monkeypatch.setenv("OPSCOPE_DEVICE", "cuda")
        with pytest.raises(OpscopeError, match="cannot run on CUDA here"):
            execution_providers()


def test_ops_inside_control_flow_subgraphs_are_counted(tmp_path: Path) -> None:
    """An ``If`` whose branches hold their own nodes (one branch nests a further ``If``)."""
    from onnx import TensorProto, helper

    def branch(name: str, ops: list[str], nested: onnx.GraphProto | None = None):
        value = helper.make_tensor_value_info(f"{name}_out", TensorProto.FLOAT, [2])
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
        nodes, last = [], "x"
        for i, op in enumerate(ops):
            nodes.append(helper.make_node(op, [last], [f"{name}_{i}"]))
            last = f"{name}_{i}"
        if nested is not None:
            cond = helper.make_node("Constant", [], [f"{name}_c"], value_int=1)
            cast = helper.make_node("Cast", [f"{name}_c"], [f"{name}_b"], to=TensorProto.BOOL)
            inner = helper.make_node(
                "If", [f"{name}_b"], [f"{name}_n"], then_branch=nested, else_branch=nested
            )
            nodes += [cond, cast, inner]
            last = f"{name}_n"
        nodes.append(helper.make_node("Identity", [last], [f"{name}_out"]))
        return helper.make_graph(nodes, name, [], [value]), x

    leaf, _ = branch("leaf", ["Relu"])
    then_graph, x = branch("then", ["Abs", "Neg"], nested=leaf)
    else_graph, _ = branch("else", ["Relu"])
    cond = helper.make_tensor_value_info("cond", TensorProto.BOOL, [])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    node = helper.make_node("If", ["cond"], ["y"], then_branch=then_graph, else_branch=else_graph)
    model = helper.make_model(
        helper.make_graph([node], "g", [cond, x], [y]), opset_imports=[helper.make_opsetid("", 17)]
    )
    onnx.checker.check_model(model)
    path = tmp_path / "if.onnx"
    onnx.save(model, path)
    data = inspect_model(path).to_dict()
    assert data["op_counts"] == {"If": 1}
    # then: Abs, Neg, Constant, Cast, If, Identity + nested leaf twice (Relu, Identity);
    # else: Relu, Identity
    assert data["subgraph_op_counts"] == {
        "Abs": 1,
        "Neg": 1,
        "Constant": 1,
        "Cast": 1,
        "If": 1,
        "Identity": 4,
        "Relu": 3,
    }
