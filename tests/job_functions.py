"""Job functions that exercise the worker itself: progress, a crash, a slow atomic write.

The child process imports this module by name (``job_functions:...``): pytest puts this
folder on ``sys.path`` and spawned children inherit it.
"""

import os
import time

from opscope.atomic import atomic_path
from opscope.errors import OpscopeError

# "module:function" kinds take a plain (fraction, message) callback, as plug-ins do


def count_job(params, progress):
    steps = int(params.get("steps", 4))
    for i in range(steps):
        progress((i + 1) / steps, f"step {i + 1} of {steps}")
    return {"pid": os.getpid(), "steps": steps}


def abort_job(params, progress):
    progress(0.1, "about to abort")
    os.abort()


def bad_input_job(params, progress):
    raise OpscopeError(f"{params['path']} is not a model")


def slow_write_job(params, progress):
    """Write ``params['output']`` atomically, slowly, so a test can cancel mid-write."""
    with atomic_path(params["output"]) as temp, temp.open("wb") as f:
        for i in range(600):
            f.write(b"x" * 1024)
            f.flush()
            progress(i / 600, "writing")
            time.sleep(0.05)
    return {"output": params["output"]}


def slow_scratch_job(params, progress):
    """Fill a scratch folder slowly, so a test can kill the job while it exists."""
    from opscope.atomic import scratch_folder

    with scratch_folder("scratch-test") as folder:
        for i in range(600):
            with open(os.path.join(folder, f"part{i}.bin"), "wb") as f:
                f.write(b"x" * 1024)
            progress(i / 600, "working")
            time.sleep(0.05)
    return {}
