"""The graph tests' fixtures: real models built by their frameworks (see graph_fixtures)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from graph_fixtures import *  # noqa: E402, F403 - fixtures
