"""The graph tests' fixtures: real models built by their frameworks (see real_models)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_models import *  # noqa: E402, F403 - fixtures
