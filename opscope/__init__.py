"""opscope: open, optimize, verify and profile deep-learning models; read profiler traces.

The distribution's subpackages live in the repository's top-level folders:
``gui/`` is ``opscope.gui``, ``backend/`` is ``opscope.backend``, ``profiling/`` is
``opscope.profiling`` and ``resources/`` is ``opscope.resources``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("opscope")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
