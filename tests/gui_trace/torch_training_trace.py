"""Write a PyTorch profiler trace of two training steps (``python THIS OUT.json``).

Run in a child process by the tests: backward passes make the profiler record forward →
backward flow events, which the demo traces (inference only) do not have.
"""

import sys

import torch
from torch.profiler import ProfilerActivity, profile


def main(out: str) -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))
    batch = torch.randn(8, 16)
    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        for _ in range(2):
            model(batch).sum().backward()
    profiler.export_chrome_trace(out)


if __name__ == "__main__":
    main(sys.argv[1])
