"""The ``opscope`` command.

``opscope [FILE ...]`` starts the window; ``opscope VERB ...`` runs a headless verb. Verbs
live in modules that never import Qt, and the GUI is imported only when no verb is given,
so ``opscope trace stats`` starts as fast as Python and numpy allow.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from opscope import __version__
from opscope.errors import OpscopeError

# verb -> module whose ``main(argv) -> int`` handles it
VERB_MODULES: dict[str, str] = {
    "trace": "opscope.profiling.cli",
    "inspect": "opscope.backend.cli",
    "convert": "opscope.backend.cli",
    "graph": "opscope.backend.cli",
    "optimize": "opscope.backend.cli",
    "bench": "opscope.backend.cli",
    "profile": "opscope.backend.cli",
}


def report_errors(run: Callable[[], int]) -> int:
    """Run a verb; a user error becomes one line on stderr and exit status 2."""
    try:
        return run()
    except OpscopeError as exc:
        print(f"opscope: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("opscope: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader (e.g. ``| head``) went away: stop quietly, as Unix tools do
        sys.stdout = None
        return 0


def _gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="opscope",
        description="Open models and profiler traces in the opscope window. "
        f"Headless verbs: {', '.join(VERB_MODULES)} (opscope VERB --help).",
    )
    parser.add_argument("--version", action="version", version=f"opscope {__version__}")
    parser.add_argument(
        "--screenshot",
        metavar="OUT.png",
        help="open the files, wait for their jobs, save the window (1600x1000) as a PNG and "
        "exit: 0 if every job succeeded, 1 otherwise",
    )
    parser.add_argument("--demo", action="store_true", help="open the bundled demo files")
    parser.add_argument(
        "--page", default="", metavar="TAB", help="with --screenshot: show this tab (graph)"
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="models or traces to open")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in VERB_MODULES:
        module = importlib.import_module(VERB_MODULES[args[0]])
        return report_errors(lambda: module.main(args))
    options = _gui_parser().parse_args(args)
    from opscope.gui.app import run_gui

    return run_gui(
        options.files, screenshot=options.screenshot, demo=options.demo, page=options.page
    )


if __name__ == "__main__":
    sys.exit(main())
