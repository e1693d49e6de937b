"""Hostile input: one line on stderr and exit 2, or an import with the bad events counted."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opscope.cli import main
from opscope.errors import OpscopeError
from opscope.profiling.jsonstream import Envelope, iter_event_chunks
from opscope.profiling.reader import read_trace

BAD_FILES = {
    "empty.json": b"",
    "spaces.json": b"   \n",
    "not_json.json": b"hello world",
    "truncated_object.json": b'{"traceEvents": [{"ph": "X", "ts": 1, "d',
    "wrong_shape.json": b'{"events": []}',
    "number.json": b"42",
    "garbage.json.gz": b"\x1f\x8b\x08\x00garbage",
    "binary.pb": b"\x0a\x05hello",
    "array_of_numbers.json": b"[1, 2, 3",
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_one_line_exit_2(name: str, tmp_path: Path, capsys) -> None:
    path = tmp_path / name
    path.write_bytes(BAD_FILES[name])
    assert main(["trace", "info", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"opscope: cannot read {path}: ") and err.count("\n") == 1


def test_missing_path(tmp_path: Path, capsys) -> None:
    assert main(["trace", "stats", str(tmp_path / "nope.json")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_bad_events_are_skipped_and_counted(tmp_path: Path) -> None:
    events = [
        {"ph": "X", "name": "ok", "ts": 0, "dur": 10, "pid": 1, "tid": 1},
        {"ph": "X", "name": "neg", "ts": 1, "dur": -5, "pid": 1, "tid": 1},
        {"ph": "X", "name": "str", "ts": "soon", "dur": 1, "pid": 1, "tid": 1},
        {"ph": "X", "name": "nodur", "ts": 2, "pid": 1, "tid": 1},
        {"ph": "B", "name": "open", "ts": 3, "pid": 1, "tid": 1},
        {"ph": "E", "ts": 4, "pid": 1, "tid": 2},
        {"ph": "B", "name": "pair", "ts": 5, "pid": 1, "tid": 1},
        {"ph": "E", "ts": 7, "pid": 1, "tid": 1},
    ]
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"traceEvents": events}))
    trace = read_trace(path)
    assert sorted(trace.names[n] for n in trace.name) == ["ok", "pair"]
    text = " ".join(trace.warnings)
    assert "mistyped" in text and "negative" in text and "unmatched" in text


def test_gzip_and_truncated_recovery(tmp_path: Path, mxnet_trace: Path) -> None:
    data = mxnet_trace.read_bytes()
    (tmp_path / "m.bin").write_bytes(gzip.compress(data))
    assert read_trace(tmp_path / "m.bin").format == "mxnet"
    cut = tmp_path / "cut.json"  # what continuous_dump leaves before the final dump
    cut.write_bytes(data[: len(data) * 2 // 3])
    trace = read_trace(cut)
    assert trace.truncated and trace.events > 10 and any("truncated" in w for w in trace.warnings)


def test_small_blocks_cut_between_events(torch_trace: Path) -> None:
    """Streaming with tiny blocks must give the same events as one block."""
    from opscope.profiling.chrome import ChromeImporter

    def events_with(block: int) -> int:
        importer = ChromeImporter()
        env = Envelope()
        with torch_trace.open("rb") as f:
            for _ in iter_event_chunks(f, env, importer.decode_chunk, block=block):
                pass
        return importer.rows

    assert events_with(997) == events_with(1 << 24) > 200


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_fuzz_mutated_real_traces(data, framework_traces: Path, tmp_path: Path) -> None:
    name = data.draw(
        st.sampled_from(["onnxruntime_profile.json", "pytorch_trace.json", "mxnet_profile.json"])
    )
    original = (framework_traces / name).read_bytes()
    mutated = bytearray(original)
    for _ in range(data.draw(st.integers(1, 8))):
        kind = data.draw(st.sampled_from(["flip", "cut", "delete", "insert"]))
        at = data.draw(st.integers(0, max(0, len(mutated) - 1)))
        if kind == "flip" and mutated:
            mutated[at] = data.draw(st.sampled_from(b'{}[],:"0-eN \\x'))
        elif kind == "cut":
            del mutated[at:]
        elif kind == "delete":
            del mutated[at : at + data.draw(st.integers(1, 50))]
        else:
            mutated[at:at] = data.draw(st.binary(max_size=20))
    path = tmp_path / "fuzz.json"
    path.write_bytes(bytes(mutated))
    try:
        trace = read_trace(path)
    except OpscopeError as exc:
        assert str(exc).startswith(f"cannot read {path}: ") and "\n" not in str(exc)
        return
    assert (trace.dur_ns >= 0).all() and (trace.self_ns <= trace.dur_ns).all()


def test_a_metadata_event_with_invalid_utf8_is_read_without_its_args(tmp_path):
    """Found by the fuzz test: a byte 0x80 inside an ``M`` event's args."""
    from opscope.profiling.reader import read_trace

    path = tmp_path / "t.json"
    path.write_bytes(
        b'{"traceEvents": [{"ph": "M", "pid": 1, "tid": 1, "name": "process_name",'
        b' "args": {"name": "\x80cpu"}}, {"ph": "X", "pid": 1, "tid": 1, "ts": 0, "dur": 5,'
        b' "name": "op", "cat": "kernel"}]}'
    )
    trace = read_trace(path)
    assert trace.events == 1 and trace.lanes[0].process == "process 1"
