"""Lanes (timeline tracks) and their labels, from the trace's own metadata events.

Chrome traces name processes and threads with ``M`` events (``process_name``,
``thread_name``, ``*_sort_index``); the timeline shows lanes in the order those give, and
falls back to the order in which lanes first appear. Ids are kept as they are (64-bit
MXNet hashes stay distinct: we never squeeze them through a double).
"""

from __future__ import annotations

import re
from typing import Any

from opscope.profiling.trace import Lane

GLOBAL_LANE = ("global",)  # the lane key of instants that belong to no thread
_HASHED_SUFFIX = re.compile(r"^(.+)/(-?\d{10,})$")  # a pool's name and a hashed id


def _int_or_zero(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return 0


class LaneTable:
    """Process and thread names and sort indices gathered from metadata events."""

    def __init__(self) -> None:
        self.process_names: dict[Any, str] = {}
        self.process_labels: dict[Any, str] = {}
        self.process_sort: dict[Any, int] = {}
        self.thread_names: dict[tuple, str] = {}
        self.thread_sort: dict[tuple, int] = {}
        self._hashed_pids: dict[Any, int] = {}  # unnamed 64-bit ids -> 1, 2, … for people
        self._hashed_tids: dict[tuple, int] = {}  # (pid, pool, id) -> 1, 2, …

    def metadata(self, name: str, pid: Any, tid: Any, args: Any) -> None:
        """Take one ``M`` event; others' args are ignored."""
        if not isinstance(args, dict):
            return
        if name == "process_name" and "name" in args:
            self.process_names[pid] = str(args["name"])
        elif name == "process_labels" and "labels" in args:
            self.process_labels[pid] = str(args["labels"])
        elif name == "process_sort_index":
            self.process_sort[pid] = _int_or_zero(args.get("sort_index"))
        elif name == "thread_name" and "name" in args:
            self.thread_names[(pid, tid)] = str(args["name"])
        elif name == "thread_sort_index":
            self.thread_sort[(pid, tid)] = _int_or_zero(args.get("sort_index"))

    def describe(self, key: tuple) -> Lane:
        """The lane of a ``(pid, tid)`` key, an ``("async", pid, category)`` key, or global."""
        if key == GLOBAL_LANE:
            return Lane("Global", "markers", "Global markers", "", "")
        if len(key) == 3 and key[0] == "async":
            _, pid, category = key
            process = self.process_name(pid)
            thread = f"{category or 'async'} (async)"
            return Lane(process, thread, f"{process} / {thread}", str(pid), thread)
        pid, tid = key
        process = self.process_name(pid)
        thread = self.thread_names.get((pid, tid)) or self._thread_name(pid, tid)
        return Lane(process, thread, f"{process} / {thread}", str(pid), str(tid))

    def process_name(self, pid: Any) -> str:
        """The process's own name; an unnamed 64-bit id (MXNet hashes its domains, e.g.
        849786139768988538) reads as ``process 1``, ``process 2``… in order of appearance."""
        if pid in self.process_names:
            return self.process_names[pid]
        if abs(_int_or_zero(pid)) < 2**32:
            return f"process {pid}"
        number = self._hashed_pids.setdefault(pid, len(self._hashed_pids) + 1)
        return f"process {number}"

    def name_thread(self, pid: Any, tid: Any, name: str) -> None:
        """A thread's name as a person reads it: a hashed id appended to a pool's name
        (``tf_Compute/2375736839116010474``, from TensorFlow's XSpace) becomes
        ``tf_Compute/1``, ``tf_Compute/2``… in order of appearance."""
        match = _HASHED_SUFFIX.match(name)
        if match:
            pool = match.group(1)
            numbers = self._hashed_tids
            key = (pid, pool, match.group(2))
            count = sum(1 for k in numbers if k[:2] == (pid, pool))
            name = f"{pool}/{numbers.setdefault(key, count + 1)}"
        self.thread_names[(pid, tid)] = name

    def _thread_name(self, pid: Any, tid: Any) -> str:
        if abs(_int_or_zero(tid)) < 2**32:
            return f"thread {tid}"
        numbers = self._hashed_tids
        key = (pid, "thread", tid)
        count = sum(1 for k in numbers if k[:2] == (pid, "thread"))
        return f"thread {numbers.setdefault(key, count + 1)}"

    def order(self, keys: list[tuple]) -> list[int]:
        """Indices of ``keys`` in display order (metadata sort indices, then first sight)."""
        first_pid: dict[Any, int] = {}
        for key in keys:
            first_pid.setdefault(
                key[1] if key[0] == "async" and len(key) == 3 else key[0], len(first_pid)
            )

        def sort_key(i: int) -> tuple:
            key = keys[i]
            if key == GLOBAL_LANE:
                return (1, 0, 0, False, 0, i)  # after every process
            is_async = len(key) == 3 and key[0] == "async"
            pid = key[1] if is_async else key[0]
            return (
                0,
                self.process_sort.get(pid, 0),
                first_pid[pid],
                is_async,
                0 if is_async else self.thread_sort.get(key, 0),
                i,
            )

        return sorted(range(len(keys)), key=sort_key)
