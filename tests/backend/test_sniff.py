"""The shared sniffer: JSON decided by top-level keys read in a stream, zips by exact names.

Real framework files are sniffed in ``test_real_models.py``; here, the reading itself.
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import pytest

from opscope.errors import OpscopeError
from opscope.profiling.reader import read_trace
from opscope.sniff import json_document_kind, sniff


def test_trace_key_after_a_large_value_is_found(tmp_path: Path) -> None:
    """PyTorch's profiler writes ``deviceProperties`` and more before ``traceEvents``."""
    document = {"schemaVersion": 1, "deviceProperties": ["x" * 100_000], "traceEvents": []}
    path = tmp_path / "late.json.gz"
    path.write_bytes(gzip.compress(json.dumps(document).encode()))
    assert sniff(path).format == "chrome-json"


def test_trace_decides_at_its_first_key_without_reading_on() -> None:
    """A trace cut after its first key is still a trace: the events are never parsed."""
    assert json_document_kind(io.BytesIO(b'{"traceEvents": [{"ph": "X", "ts": 1, "d')) == "trace"
    assert json_document_kind(io.BytesIO(b"[1, 2, 3")) == "trace"


def test_symbol_keys_anywhere_make_an_mxnet_symbol() -> None:
    nodes = [{"op": "null", "name": f"w{i}", "inputs": []} for i in range(5000)]
    document = json.dumps({"nodes": nodes, "arg_nodes": [0], "heads": [[0, 0, 0]]}).encode()
    assert document.index(b'"arg_nodes"') > 65536
    assert json_document_kind(io.BytesIO(document)) == "mxnet"
    assert json_document_kind(io.BytesIO(document), limit=65536) is None


@pytest.mark.parametrize("content", [b'{"hello": "world"}', b'{"nodes": [] oops'])
def test_other_json_is_refused_in_one_line(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.json"
    path.write_bytes(content)
    with pytest.raises(OpscopeError, match="notes.json is JSON but neither"):
        sniff(path)


def test_zip_without_model_members_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "archive.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/code/models/readme.txt", "paths are not a format")
    with pytest.raises(OpscopeError, match="not a Keras or PyTorch model"):
        sniff(path)


def test_trace_reader_and_model_side_share_the_gzip_message(tmp_path: Path) -> None:
    path = tmp_path / "broken.json.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(OpscopeError, match="broken.json.gz is a damaged gzip file") as model:
        sniff(path)
    with pytest.raises(OpscopeError, match="broken.json.gz is a damaged gzip file") as trace:
        read_trace(path)
    assert str(model.value) in str(trace.value)
