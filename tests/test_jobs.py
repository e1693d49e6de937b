"""Jobs run in-process (as the CLI does) and in a spawned child (as the GUI does)."""

import os

import pytest

from opscope.backend.jobs import JobSpec, run_job
from opscope.backend.runner import JobProcess, run_in_child
from opscope.errors import OpscopeError


def test_spec_round_trips_through_the_pipe_encoding():
    spec = JobSpec("import_trace", {"path": "/x/y.json"}, title="Importing y.json")
    assert JobSpec.from_bytes(spec.to_bytes()) == spec
    assert spec.params.path == "/x/y.json"


def test_unknown_or_missing_fields_are_errors_that_name_them():
    import msgspec

    with pytest.raises(msgspec.ValidationError, match="paht"):
        JobSpec("import_trace", {"paht": "/x/y.json"})
    with pytest.raises(msgspec.ValidationError, match="path"):
        JobSpec("import_trace", {})


def test_a_result_that_breaks_its_contract_names_the_field():
    import msgspec

    from opscope.backend.contracts.base import encode
    from opscope.backend.jobs import decode_result

    result = {"target": "/x/report.md", "written": True}
    with pytest.raises(msgspec.ValidationError, match="written"):
        decode_result("save_report", encode(result))
    with pytest.raises(msgspec.ValidationError, match="target"):
        decode_result("save_report", encode({}))


def test_job_runs_in_process_and_reports_progress():
    seen = []
    result = run_job(
        JobSpec("job_functions:count_job", {"steps": 3}), lambda s, f, m: seen.append(f)
    )
    assert result == {"pid": os.getpid(), "steps": 3}
    assert seen == pytest.approx([1 / 3, 2 / 3, 1.0])


def test_job_runs_in_a_child_process():
    seen = []
    result = run_in_child(
        JobSpec("job_functions:count_job", {"steps": 5}), lambda s, f, m: seen.append(m)
    )
    assert result["pid"] != os.getpid()
    assert seen == [f"step {i} of 5" for i in range(1, 6)]


def test_user_error_in_child_is_an_opscope_error():
    with pytest.raises(OpscopeError, match="not a model"):
        run_in_child(JobSpec("job_functions:bad_input_job", {"path": "junk.bin"}))


def test_user_error_comes_without_a_traceback():
    job = JobProcess(JobSpec("job_functions:bad_input_job", {"path": "junk.bin"}))
    events = []
    while not any(e.kind in ("error", "died", "done") for e in events):
        events.extend(job.events(0.5))
    error = events[-1]
    assert error.user_error and error.message == "junk.bin is not a model"
    assert "Traceback" not in error.details


def test_child_that_aborts_is_reported_with_its_signal():
    with pytest.raises(RuntimeError, match="SIGABRT"):
        run_in_child(JobSpec("job_functions:abort_job"))


def test_unknown_kind_is_refused_before_it_reaches_a_child():
    with pytest.raises(KeyError, match="unknown job kind"):
        JobSpec("no_such_kind")


def test_cancel_kills_the_child_and_leaves_no_output(tmp_path):
    output = tmp_path / "out.bin"
    job = JobProcess(JobSpec("job_functions:slow_write_job", {"output": str(output)}))
    while not any(e.kind == "progress" for e in job.events(0.5)):
        pass
    job.cancel()
    assert not output.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_killed_job_leaves_no_scratch_folder():
    from opscope.paths import cache_dir

    job = JobProcess(JobSpec("job_functions:slow_scratch_job"))
    while not any(e.kind == "progress" for e in job.events(0.5)):
        pass
    assert list(cache_dir("scratch-test").iterdir())
    job.cancel()
    assert list(cache_dir("scratch-test").iterdir()) == []


def test_trim_cache_drops_the_least_recently_used(tmp_path):
    import time

    from opscope.paths import trim_cache

    paths = []
    for i in range(4):
        path = tmp_path / f"{i}.npz"
        path.write_bytes(b"x" * 100)
        stamp = time.time() - 100 + i
        os.utime(path, (stamp, stamp))
        paths.append(path)
    removed = trim_cache(tmp_path, 250, keep=paths[0])
    assert removed == [paths[1], paths[2]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.npz", "3.npz"]


def test_the_summary_builder_fills_exactly_the_summary_contract() -> None:
    """Adapters fill a mutable ``GraphSummary`` field by field; the job hands on the frozen
    ``ModelSummary``. A field added to one and not the other would be dropped or refused."""
    import dataclasses

    from opscope.backend.contracts.models import ModelSummary
    from opscope.backend.summary import GraphSummary, TensorInfo

    assert [f.name for f in dataclasses.fields(GraphSummary)] == list(
        ModelSummary.__struct_fields__
    )
    assert [f.name for f in dataclasses.fields(TensorInfo)] == ["name", "dtype", "shape"]
