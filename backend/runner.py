"""Run one job in a child process (spawn), so that a framework's crash, abort or
out-of-memory never takes the caller down, and cancelling is instant.

The spec goes to the child as msgpack bytes and is decoded there strictly as its kind's
parameter contract. The child sends messages through a pipe: ``("progress", event)`` (an
encoded :class:`~opscope.progress.ProgressEvent`), ``("temp", path)`` for every temporary
output it creates, then exactly one of ``("done", result)`` (the result contract, encoded,
decoded here strictly) or ``("error", is_user_error, message, details)``. A child that dies
without a final message is reported as a failure with its exit code. Killing a child
removes the temporary outputs it announced, so no partial file is left behind.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from opscope import atomic
from opscope.backend.contracts.base import decode, encode
from opscope.backend.jobs import JobSpec, decode_result, plan_of, run_job
from opscope.errors import OpscopeError
from opscope.progress import Progress, ProgressEvent, Step


@dataclass
class JobEvent:
    """What a running job reported: kind is progress, done, error or died."""

    kind: str
    progress: ProgressEvent | None = None
    message: str = ""
    result: Any = None
    details: str = ""
    user_error: bool = False


def _child_main(spec_data: bytes, conn: Connection) -> None:
    atomic.set_temp_listener(lambda path: conn.send(("temp", path)))
    try:
        spec = JobSpec.from_bytes(spec_data)
        plan = plan_of(spec.kind)

        def progress(step: Step, fraction: float, message: str) -> None:
            conn.send(("progress", encode(plan.event(step, fraction, str(message)))))

        result = run_job(spec, progress)
        conn.send(("done", encode(result)))
    except OpscopeError as exc:
        # a user's bad file: the message says it all; no traceback (the cause, if any)
        cause = exc.__cause__
        details = f"{type(cause).__name__}: {cause}" if cause is not None else ""
        conn.send(("error", True, str(exc), details))
    except BaseException as exc:  # a programming error: report it with its traceback
        message = f"{type(exc).__name__}: {exc}"
        conn.send(("error", False, message, traceback.format_exc()))
    finally:
        conn.close()


def _describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the job's process was killed by {name}"
    return f"the job's process exited with code {code} before reporting a result"


class JobProcess:
    """One job running in a spawned child process."""

    def __init__(self, spec: JobSpec) -> None:
        self.spec = spec
        ctx = mp.get_context("spawn")
        self._conn, child_conn = ctx.Pipe(duplex=False)
        self._process = ctx.Process(
            target=_child_main, args=(spec.to_bytes(), child_conn), daemon=True, name=spec.label
        )
        self._process.start()
        child_conn.close()
        self._temps: list[str] = []
        self._finished = False

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def events(self, timeout: float) -> list[JobEvent]:
        """Wait up to ``timeout`` seconds and return what the job reported meanwhile."""
        if self._finished:
            return []
        ready = wait([self._conn, self._process.sentinel], timeout)
        events: list[JobEvent] = []
        if self._conn in ready:
            events.extend(self._drain())
        if not self._finished and self._process.sentinel in ready:
            events.extend(self._drain())
            if not self._finished:
                self._process.join(1.0)
                self._finish()
                self._remove_temps()
                events.append(JobEvent("died", message=_describe_exit(self._process.exitcode)))
        return events

    def _drain(self) -> list[JobEvent]:
        events = []
        while not self._finished:
            try:
                if not self._conn.poll():
                    break
                message = self._conn.recv()
            except (EOFError, OSError):
                break
            event = self._decode(message)
            if event is not None:
                events.append(event)
        return events

    def _decode(self, message: tuple) -> JobEvent | None:
        tag = message[0]
        if tag == "temp":
            self._temps.append(message[1])
            return None
        if tag == "progress":
            event = decode(message[1], ProgressEvent)
            return JobEvent("progress", progress=event, message=event.message)
        self._finish()
        if tag == "done":
            return self._result(message[1])
        self._remove_temps()
        return JobEvent("error", user_error=message[1], message=message[2], details=message[3])

    def _result(self, data: bytes) -> JobEvent:
        """The result, decoded strictly: a field the contract does not know is a bug."""
        try:
            return JobEvent("done", result=decode_result(self.spec.kind, data))
        except Exception as exc:  # noqa: BLE001 - msgspec's ValidationError / DecodeError
            self._remove_temps()
            message = f"the job's result breaks its contract: {exc}"
            return JobEvent("error", message=message, details=message)

    def _finish(self) -> None:
        self._finished = True
        self._process.join(5.0)
        self._conn.close()

    def _remove_temps(self) -> None:
        for path in self._temps:
            atomic.remove_path(path)

    def kill(self) -> None:
        """Kill the child at once; safe to call from any thread (the owner then calls cancel)."""
        if self._finished or self._process.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self._process.pid, signal.SIGKILL)

    def cancel(self) -> None:
        """Kill the child now and remove its partial outputs."""
        if self._finished:
            return
        self._process.kill()
        self._process.join(5.0)
        self._finished = True
        self._conn.close()
        self._remove_temps()


def run_in_child(spec: JobSpec, progress: Progress | None = None, poll: float = 0.1) -> Any:
    """Run ``spec`` in a child process and wait for it (used by the CLI and tests)."""
    job = JobProcess(spec)
    while True:
        for event in job.events(poll):
            if event.kind == "progress" and progress is not None:
                step = event.progress
                progress(step.step, step.fraction, step.message)
            elif event.kind == "done":
                return event.result
            elif event.kind == "error" and event.user_error:
                raise OpscopeError(event.message)
            elif event.kind in ("error", "died"):
                raise RuntimeError(f"{event.message}\n{event.details}".strip())


__all__ = ["JobEvent", "JobProcess", "run_in_child"]
