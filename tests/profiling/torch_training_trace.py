"""Write a PyTorch profiler trace of two training steps (run in a child process).

The bundled demo profiles inference on the CPU, which has no flow events; a backward pass
makes PyTorch link each forward op to its backward op (``fwdbwd`` flows), and
``with_stack`` adds the ``python_function`` slices that are not operators.
"""

from __future__ import annotations

import sys


def main(target: str) -> None:
    import torch
    from torch.profiler import ProfilerActivity, profile

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    x = torch.randn(4, 8)
    with profile(activities=[ProfilerActivity.CPU], with_stack=True) as prof:
        for _ in range(2):
            model(x).sum().backward()
    prof.export_chrome_trace(target)


if __name__ == "__main__":
    main(sys.argv[1])
