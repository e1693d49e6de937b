"""Real architectures, saved the way users save them: they open, convert (verified), optimize.

torchvision (TorchScript and ``.pt2``), transformers from small configs (``.pt2`` returning
a ``ModelOutput`` and taking ``attention_mask`` by keyword; TorchScript), keras.applications
(``.keras`` and a SavedModel folder) and the gluon model zoo (symbol + params).
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import real_models as real

from opscope.backend.convert import ConvertOptions, convert_model
from opscope.backend.inputs import parse_input_option
from opscope.backend.inspect import inspect_model, inspection
from opscope.backend.models import open_model
from opscope.backend.models.base import first_line
from opscope.backend.optimize.pipeline import OptimizeOptions, optimize_model
from opscope.errors import OpscopeError
from opscope.progress import ignore_progress
from opscope.sniff import sniff

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("real_models")


@pytest.fixture(scope="module")
def torchvision_files(folder: Path) -> dict[str, Path]:
    model, images = real.torchvision_model("mobilenet_v3_small"), real.image_batch()
    return {
        "torchscript": real.save_torchscript(model, (images,), folder / "mobilenet.pt"),
        "program": real.save_program(model, (images,), folder / "mobilenet.pt2"),
    }


@pytest.fixture(scope="module")
def transformer_programs(folder: Path) -> dict[str, Path]:
    """``.pt2`` programs as ``torch.export.export(model, (ids,), {"attention_mask": mask})``
    leaves them: the output a ModelOutput, the mask a keyword input."""
    ids, mask = real.token_batch()
    files = {
        kind: real.save_program(
            real.transformer(kind), (ids,), folder / f"{kind}.pt2", {"attention_mask": mask}
        )
        for kind in ("bert", "distilbert", "gpt2")
    }
    vit = real.transformer("vit")
    files["vit"] = real.save_program(vit, (real.image_batch(32),), folder / "vit.pt2")
    return files


@pytest.fixture(scope="module")
def bert_torchscript(folder: Path) -> Path:
    ids, mask = real.token_batch()
    model = real.transformer("bert", return_dict=False)
    inputs = {"input_ids": ids, "attention_mask": mask}
    return real.save_torchscript(model, inputs, folder / "bert.torchscript.pt")


def _convert(path: Path, out: Path, *inputs: str) -> dict:
    options = ConvertOptions(inputs=tuple(parse_input_option(text) for text in inputs))
    return convert_model(path, out, options)


# --- detection by structure ----------------------------------------------------------------


def test_torchvision_torchscript_is_torchscript(torchvision_files: dict[str, Path]) -> None:
    path = torchvision_files["torchscript"]
    members = zipfile.ZipFile(path).namelist()
    assert any("/code/__torch__/torchvision/models/" in name for name in members)
    assert sniff(path).format == "torchscript"
    assert sniff(torchvision_files["program"]).format == "torch-export"


def test_gluon_symbol_with_arg_nodes_at_its_end_is_mxnet(folder: Path) -> None:
    symbol = real.gluon_model("mobilenetv2_0.25", folder / "gluon")
    text = symbol.read_bytes()
    assert len(text) > 65536 and text.index(b'"arg_nodes"') > 65536
    assert sniff(symbol).format == "mxnet"
    report = _convert(symbol, folder / "gluon.onnx", "data:2x3x64x64")
    assert report["verify"]["passed"] and report["before"]["format"] == "mxnet"


# --- torch ---------------------------------------------------------------------------------


def test_torchvision_models_convert(torchvision_files: dict[str, Path], folder: Path) -> None:
    script = _convert(torchvision_files["torchscript"], folder / "tv_ts.onnx", "x:2x3x64x64")
    program = _convert(torchvision_files["program"], folder / "tv_pt2.onnx")
    for report in (script, program):
        assert report["verify"]["passed"] and report["verify"]["top1_agreement"] == 1.0
        assert report["inputs"] == [{"name": "x", "dtype": "float32", "shape": [2, 3, 64, 64]}]


@pytest.mark.parametrize("kind", ["bert", "distilbert", "gpt2", "vit"])
def test_transformers_programs_open_and_convert(
    transformer_programs: dict[str, Path], folder: Path, kind: str
) -> None:
    """A ModelOutput return type opens without transformers' registration; the keyword
    mask is fed by keyword; outputs take the ModelOutput's field names."""
    path = transformer_programs[kind]
    summary = inspect_model(path)
    assert summary.outputs[0].name == "last_hidden_state"
    report = _convert(path, folder / f"{kind}.onnx")
    assert report["verify"]["passed"], report["verify"]
    if kind != "vit":
        shapes = {i["name"]: i["shape"] for i in report["inputs"]}
        assert shapes == {"input_ids": [2, 16], "attention_mask": [2, 16]}


def test_program_inputs_are_plausible(transformer_programs: dict[str, Path]) -> None:
    """Token ids index the vocabulary read from the embedding table; masks are 0/1."""
    from opscope.backend.inputs import random_inputs

    specs = {s.name: s for s in open_model(transformer_programs["bert"]).input_specs()}
    assert specs["input_ids"].high == real.VOCAB and specs["input_ids"].dtype == "int64"
    assert specs["input_ids"].max_length == real.MAX_POSITIONS
    inputs = random_inputs(list(specs.values()))
    ids, mask = inputs["input_ids"], inputs["attention_mask"]
    assert ids.max() > real.VOCAB // 2 and ids.min() < real.VOCAB // 10
    assert set(np.unique(mask)) <= {0, 1} and mask[0].all()


def test_inspect_lists_the_inputs_a_run_would_generate(
    transformer_programs: dict[str, Path], bert_torchscript: Path
) -> None:
    """``inspect --json`` says what a run without ``--input``/``--calib`` feeds the model:
    the shape, and values that span the vocabulary read from the embedding."""
    run = subprocess.run(
        [sys.executable, "-m", "opscope", "inspect", "--json", str(transformer_programs["bert"])],
        capture_output=True,
        text=True,
        check=True,
    )
    generated = {g["name"]: g for g in json.loads(run.stdout)["generated_inputs"]}
    assert generated["input_ids"]["shape"] == [2, 16]
    assert generated["input_ids"]["values"] == f"integers in [0, {real.VOCAB})"
    assert generated["attention_mask"]["values"].startswith("attention mask")
    script = {g["name"]: g for g in inspection(bert_torchscript)["generated_inputs"]}
    assert script["input_ids"]["shape"] is None  # TorchScript records no shapes
    assert "--input input_ids:2x128:int64" in script["input_ids"]["values"]


def test_bert_torchscript_takes_int64_ids(bert_torchscript: Path, folder: Path) -> None:
    specs = {s.name: s for s in open_model(bert_torchscript).input_specs()}
    assert specs["input_ids"].dtype == "int64" and specs["input_ids"].high == real.VOCAB
    # inlined submodules (dropout, activations) leave module lookups, not unused nodes
    assert inspect_model(bert_torchscript).unused_nodes == []
    with pytest.raises(OpscopeError, match=r"--input input_ids:2x128:int64"):
        _convert(bert_torchscript, folder / "none.onnx")
    report = _convert(
        bert_torchscript, folder / "bert_ts.onnx", "input_ids:2x16:int64", "attention_mask:2x16"
    )
    assert report["verify"]["passed"]


def test_torchvision_vit_torchscript_converts_through_torch_export(folder: Path) -> None:
    """The TorchScript exporter fails on its attention (``transpose for tensor of unknown
    rank``); the module then goes through torch.export, as torch advises."""
    model = real.torchvision_vit()
    import torch

    torch.nn.init.normal_(model.heads.head.weight)  # torchvision starts the head at zero
    path = real.save_torchscript(model, (real.image_batch(32),), folder / "vit.torchscript.pt")
    report = _convert(path, folder / "vit_ts.onnx", "x:2x3x32x32")
    assert report["verify"]["passed"] and report["verify"]["max_abs_diff"] > 0


def test_dynamo_error_is_one_clean_line(torchvision_files: dict[str, Path]) -> None:
    """torch.onnx's own message for a ScriptModule: colour codes and 'Next steps:' lists;
    the line kept is its exception summary."""
    import torch

    module = torch.jit.load(str(torchvision_files["torchscript"]))
    with pytest.raises(Exception) as caught:
        torch.onnx.export(module, (real.image_batch(),), str(Path("unused.onnx")), dynamo=True)
    line = first_line(caught.value)
    assert "\x1b" not in line and "\n" not in line and "ScriptModule" in line
    assert not line.endswith("Next steps:")


def test_torch_logs_reach_no_one(
    transformer_programs: dict[str, Path], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """torch.export.load logs a traceback as a warning before it fails; none reaches the
    user, on success or on failure (then the CLI prints one line)."""
    capfd.readouterr()
    assert inspect_model(transformer_programs["gpt2"]).outputs[0].name == "last_hidden_state"
    assert capfd.readouterr().err == ""
    broken = tmp_path / "broken.pt2"
    with (
        zipfile.ZipFile(transformer_programs["bert"]) as source,
        zipfile.ZipFile(broken, "w") as target,
    ):
        for item in source.infolist():
            data = source.read(item)
            cut = item.filename.endswith(".json")
            target.writestr(item, data[: len(data) // 2] if cut else data)
    bad = subprocess.run(
        [sys.executable, "-m", "opscope", "inspect", str(broken)], capture_output=True, text=True
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "Traceback" not in bad.stderr and bad.stderr.startswith("opscope: cannot open")


# --- keras ---------------------------------------------------------------------------------


def test_keras_application_converts_as_keras_and_savedmodel(folder: Path) -> None:
    model = real.keras_application("MobileNet")
    for path in (
        real.save_keras(model, folder / "mobilenet.keras"),
        real.save_savedmodel(model, folder / "mobilenet_savedmodel"),
    ):
        report = _convert(path, folder / f"{path.name}.onnx")
        assert report["verify"]["passed"], path.name
        assert report["inputs"][0]["shape"] == [2, real.IMAGE, real.IMAGE, 3]


# --- optimize --------------------------------------------------------------------------------


def test_bert_program_optimizes_automatically(
    transformer_programs: dict[str, Path], tmp_path: Path
) -> None:
    options = OptimizeOptions(auto=True, runs=5, warmup=1)
    report = optimize_model(
        transformer_programs["bert"], tmp_path / "bert.onnx", options, ignore_progress
    )
    chosen = [c for c in report["candidates"] if c["chosen"]]
    assert len(chosen) == 1 and chosen[0]["passed"] and report["verify"]["passed"]


def test_a_transformers_tagger_has_openvino_candidates(folder: Path, tmp_path: Path) -> None:
    """OpenVINO fuses the classifier's MatMul and bias Add, and the fused layer's output
    carries both tensors' names: the candidates still find the model's output ``y``."""
    pytest.importorskip("openvino")
    import torch

    from opscope.backend.models.base import quiet_native_output

    model = real.token_classifier()
    ids, _ = real.token_batch()
    path = folder / "tagger.onnx"
    with quiet_native_output():
        torch.onnx.export(
            model, (ids,), str(path), input_names=["input_ids"], output_names=["y"], dynamo=False
        )
    options = OptimizeOptions(auto=True, runtime="openvino", tolerance=0.05, runs=5, warmup=1)
    report = optimize_model(path, tmp_path / "tagger.onnx", options, ignore_progress)
    rows = {c["name"]: c for c in report["candidates"]}
    assert not rows["openvino-fp32"]["error"] and rows["openvino-fp32"]["passed"]
    assert report["runtime"] == "openvino" and report["verify"]["passed"]


def test_static_int8_calibrates_masked_attention(
    transformer_programs: dict[str, Path], tmp_path: Path
) -> None:
    """Masked attention scores hold -inf; calibration ranges are taken over finite values."""
    options = OptimizeOptions(quantize="static", method="entropy", tolerance=10.0, runs=3)
    report = optimize_model(
        transformer_programs["distilbert"], tmp_path / "int8.onnx", options, ignore_progress
    )
    assert any(step["name"] == "int8-static" for step in report["steps"])


class Pair:
    """An output type of the user's own code, which the opening process does not have."""

    def __init__(self, first: object, second: object) -> None:
        self.first, self.second = first, second


def test_program_returning_an_unknown_class_says_what_to_change(tmp_path: Path) -> None:
    import torch
    from torch.utils import _pytree as pytree

    class ReturnsPair(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> Pair:
            return Pair(x + 1, x * 2)

    pytree.register_pytree_node(
        Pair,
        lambda pair: ([pair.first, pair.second], "pair"),
        lambda values, context: Pair(*values),
        serialized_type_name="user_code.Pair",
        to_dumpable_context=lambda context: context,
        from_dumpable_context=lambda text: text,
    )
    try:
        path = real.save_program(ReturnsPair(), (torch.randn(2, 3),), tmp_path / "pair.pt2")
    finally:
        pytree._deregister_pytree_node(Pair)  # as in a process without the user's code
    with pytest.raises(OpscopeError, match=r"user_code\.Pair.*return_dict=False") as caught:
        inspect_model(path)
    assert "\n" not in str(caught.value)
