"""``opscope trace info|stats|compare``: the trace engine on the command line, without Qt.

Output goes to stdout as JSON, CSV or an aligned text table; a bad file raises
:class:`OpscopeError` whose message starts ``cannot read TRACE:``, printed by
``opscope.cli.report_errors`` as one line on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from opscope.errors import OpscopeError
from opscope.profiling.reader import read_trace
from opscope.profiling.stats import compare, op_stats, trace_summary


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise OpscopeError(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="opscope trace", description="Read profiler traces.")
    verbs = parser.add_subparsers(dest="verb", required=True)
    info = verbs.add_parser("info", help="format, events, lanes, span, warnings")
    info.add_argument("trace", metavar="TRACE")
    info.add_argument("--json", action="store_true")
    stats = verbs.add_parser("stats", help="per-operator table")
    stats.add_argument("trace", metavar="TRACE")
    compare_ = verbs.add_parser("compare", help="per-operator deltas between two traces")
    compare_.add_argument("a", metavar="A")
    compare_.add_argument("b", metavar="B")
    for sub in (stats, compare_):
        sub.add_argument("--by", choices=("op_type", "name"), default="op_type")
        output = sub.add_mutually_exclusive_group()
        output.add_argument("--json", action="store_true")
        output.add_argument("--csv", action="store_true")
    stats.add_argument("--top", type=int, default=None, metavar="N")
    for sub in (stats, compare_):
        sub.add_argument(
            "--all",
            action="store_true",
            help="count every slice, not only operators (profiler spans, Python frames, ...)",
        )
    for sub in verbs.choices.values():
        sub.error = _Parser.error.__get__(sub)  # type: ignore[method-assign]
    return parser


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "(no slices)"
    columns = list(rows[0])
    cells = [[("" if r[c] is None else str(r[c])) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[k]) for row in cells)) for k, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    for row in cells:
        lines.append(
            "  ".join(
                v.rjust(w) if k else v.ljust(w)
                for k, (v, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    return "\n".join(lines)


def _print(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv)[1:])
    if args.verb == "info":
        info = trace_summary(read_trace(args.trace))
        _print(
            json.dumps(info, indent=1)
            if args.json
            else "\n".join(f"{k}: {v}" for k, v in info.items())
        )
    elif args.verb == "stats":
        trace = read_trace(args.trace)
        table = op_stats(trace, by=args.by, operators_only=not args.all)
        if args.csv:
            _print(table.to_csv(args.top))
        elif args.json:
            _print(json.dumps({**trace_summary(trace), "ops": table.rows(args.top)}, indent=1))
        else:
            _print(_table(table.rows(args.top)))
    else:
        a, b = (
            op_stats(read_trace(path), by=args.by, operators_only=not args.all)
            for path in (args.a, args.b)
        )
        result = compare(a, b)
        if args.csv:
            _print(result.to_csv())
        elif args.json:
            _print(json.dumps({"ops": result.rows, "totals": result.totals}, indent=1))
        else:
            _print(_table(result.rows))
    return 0
