"""The optimization report: one JSON object, and the same as Markdown for people.

A latency number means little without the machine and library versions it was measured
with, and a level-all ONNX Runtime graph only runs well on the machine kind that made it,
so both go into every report.
"""

from __future__ import annotations

import json
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from opscope.backend.convert import inputs_text, inputs_used
from opscope.backend.machine import cpu_flags, cpu_name
from opscope.backend.optimize.bench import LatencyStats
from opscope.backend.optimize.chain import Chain
from opscope.backend.optimize.reference import Reference
from opscope.backend.runtimes.openvino_runtime import PRECISION_HINTS

LIBRARIES = (
    "onnx",
    "onnxruntime",
    "onnxslim",
    "openvino",
    "nncf",
    "numpy",
    "torch",
    "tensorflow",
    "mxnet",
)
MACHINE_SPECIFIC_NOTE = (
    "ONNX Runtime offline optimization at level layout/all wrote layout transforms and "
    "contrib ops chosen for this machine's CPU: the model may run slower or not at all "
    "on another kind of machine; re-optimize there, or use level extended for a portable file"
)


def machine_info() -> dict[str, Any]:
    """The machine and library versions the measurements were taken with."""
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name if name != "tensorflow" else "tensorflow-cpu")
        except metadata.PackageNotFoundError:
            continue
    import onnxruntime as ort

    from opscope.backend.models.providers import execution_providers

    # the module that runs, whichever distribution (onnxruntime, onnxruntime-gpu) holds it
    versions["onnxruntime"] = ort.__version__
    return {
        "execution_providers": execution_providers(),
        "cpu": cpu_name(),
        "cpu_flags": cpu_flags(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "libraries": versions,
    }


NOISY_SPREAD = 1.5  # p90 over p50: beyond it, a run says the machine was too busy to tell


def noise_notes(original: LatencyStats, optimized: LatencyStats) -> list[str]:
    """A warning when the run's own spread is wider than the speed-up it would publish: on
    a busy machine one run put an original's p99 at 761 ms and a 2.78x gain at 9.66x."""
    spread = max(s.p90 / s.p50 for s in (original, optimized) if s.p50 > 0)
    if spread <= NOISY_SPREAD:
        return []
    return [
        f"the timings were noisy (p90 up to {spread:.1f}x p50): the machine was busy while "
        "measuring; re-run on a quiet machine before relying on the speed-up"
    ]


def build_report(
    source: Path,
    target: Path,
    reference: Reference,
    chain: Chain,
    after: dict[str, Any],
    latency: dict[str, LatencyStats],
    candidates: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    """The ``optimize`` report object."""
    steps = chain.step_dicts()
    verify = steps[-1]["verify"] if steps else reference.verify(chain.current).to_dict()
    notes = list(chain.warnings)
    if any(s["name"] in ("ort-layout", "ort-all") for s in steps):
        notes.append(MACHINE_SPECIFIC_NOTE)
    original, optimized = latency["original"], latency["optimized"]
    notes += noise_notes(original, optimized)
    report: dict[str, Any] = {
        "model": str(source),
        "output": str(target),
        "original_runtime": reference.adapter.format,
        "steps": steps,
        "before": reference.before,
        "after": after,
        "verify": verify,
        "latency_ms": {"original": original.latency_ms(), "optimized": optimized.latency_ms()},
        "throughput": {"original": original.throughput, "optimized": optimized.throughput},
        "speedup": original.p50 / optimized.p50 if optimized.p50 > 0 else None,
        "size_bytes": {
            "original": reference.before["size_bytes"],
            "optimized": after["size_bytes"],
        },
        "batch": reference.batch,
        "inputs": inputs_used(reference.inputs),
        "notes": notes,
        "machine": machine_info(),
    }
    if candidates is not None:
        report["candidates"] = candidates
    return report


def build_tf_report(
    paths: tuple[Path, Path],
    before: Any,
    after: Any,
    steps: list[dict[str, Any]],
    verify: dict[str, Any],
    latency: dict[str, LatencyStats],
    counts: dict[str, dict[str, int]],
    batch: int,
) -> dict[str, Any]:
    """The report of the TensorFlow route (``--tf-native``): the same keys as the ONNX one,
    plus ``tf_node_counts``: Const / Variable / Identity / total before and after."""
    original, optimized = latency["original"], latency["optimized"]
    return {
        "model": str(paths[0]),
        "output": str(paths[1]),
        "original_runtime": before.format,
        "optimized_runtime": "tensorflow",
        "runtime": "tensorflow",
        "steps": steps,
        "before": before.to_dict(),
        "after": after.to_dict(),
        "tf_node_counts": counts,
        "verify": verify,
        "latency_ms": {"original": original.latency_ms(), "optimized": optimized.latency_ms()},
        "throughput": {"original": original.throughput, "optimized": optimized.throughput},
        "speedup": original.p50 / optimized.p50 if optimized.p50 > 0 else None,
        "size_bytes": {"original": before.size_bytes, "optimized": after.size_bytes},
        "batch": batch,
        "notes": noise_notes(original, optimized),
        "machine": machine_info(),
    }


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2) + "\n"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _op_table(before: dict[str, int], after: dict[str, int]) -> list[str]:
    rows = ["| op type | before | after |", "|---|---:|---:|"]
    for op in sorted(set(before) | set(after), key=lambda o: (-before.get(o, 0), o)):
        rows.append(f"| {op} | {before.get(op, 0)} | {after.get(op, 0)} |")
    return rows


def _p50_cell(c: dict[str, Any]) -> str:
    """p50 of the full measurement with its interval; else the quick round's, marked."""
    interval = c.get("latency_ms_interval")
    if c.get("latency_ms_p50") is not None and interval:
        return f"{_ms(c['latency_ms_p50'])} ({interval[0]:.3g}-{interval[1]:.3g})"
    if c.get("latency_ms_p50") is None and c.get("screen_ms_p50") is not None:
        return f"{_ms(c['screen_ms_p50'])} (quick round)"
    return _ms(c.get("latency_ms_p50"))


def _candidate_table(candidates: list[dict[str, Any]]) -> list[str]:
    rows = [
        "| candidate | runtime | precision | p50 ms (interval) | max abs diff | top-1 | passed "
        "| Pareto | chosen |",
        "|---|---|---|---:|---:|---:|:-:|:-:|:-:|",
    ]
    for c in candidates:
        top1 = c.get("top1_agreement")
        diff = c.get("max_abs_diff")
        rows.append(
            f"| {c['name']} | {c.get('runtime', 'onnxruntime')} | {c.get('precision', 'fp32')} | "
            f"{_p50_cell(c)} | "
            f"{'–' if diff is None else f'{diff:.3g}'} | "
            f"{'–' if top1 is None else f'{top1:.1%}'} | {'yes' if c['passed'] else 'no'} | "
            f"{'*' if c.get('pareto') else ''} | {'**yes**' if c['chosen'] else ''} |"
        )
    return rows


def _screened(candidates: list[dict[str, Any]]) -> list[str]:
    """The candidates the quick round left out of the full measurement, or that were not
    built or retried because they could not have won, and why."""
    rows = [c for c in candidates if c.get("screened_out")]
    if not rows:
        return []
    lines = ["### Screened out (could not have won)", ""]
    lines += [f"- {c['name']}: {c['screened_out']}" for c in rows]
    return [*lines, ""]


def _decision(report: dict[str, Any]) -> list[str]:
    decision = report.get("decision")
    if not decision or not decision.get("text"):
        return []
    return ["## Measurement", "", decision["text"], ""]


def _worst_nodes(candidates: list[dict[str, Any]]) -> list[str]:
    """Per INT8 candidate, the nodes that add the most quantization error."""
    lines = []
    for c in candidates:
        rows = [r for r in c.get("worst_nodes") or [] if r["contribution"] > 0]
        if not rows:
            continue
        lines += [f"### Largest INT8 error: {c['name']}", ""]
        lines += ["| node | op | relative error | added by the node |", "|---|---|---:|---:|"]
        lines += [
            f"| {r['node']} | {r['op_type']} | {r['relative_error']:.3g} | "
            f"{r['contribution']:.3g} |"
            for r in rows
        ]
        lines += [
            "",
            "Keep them in float with `--exclude-nodes " + ",".join(r["node"] for r in rows) + "`.",
            "",
        ]
    return lines


def deploy_section(report: dict[str, Any]) -> list[str]:
    """How to load and run the exported model in the runtime it was measured in."""
    if report.get("optimized_runtime") == "tensorflow":
        return []
    runtime = report.get("runtime", "onnxruntime")
    output = report["output"]
    if runtime == "openvino":
        properties = report.get("compile_properties") or {}
        code = [
            "import numpy as np",
            "import openvino as ov",
            "",
            "core = ov.Core()",
            f"model = core.read_model({output!r})",
            f"compiled = core.compile_model(model, 'CPU', {properties!r})",
            "request = compiled.create_infer_request()",
            "feed = {port.any_name: np.zeros(port.get_partial_shape().get_min_shape(),",
            "                               port.get_element_type().to_dtype())",
            "        for port in compiled.inputs}",
            "outputs = request.infer(feed).to_tuple()",
        ]
    else:
        code = [
            "import numpy as np",
            "import onnxruntime as ort",
            "",
            f"session = ort.InferenceSession({output!r}, providers=['CPUExecutionProvider'])",
            "types = {'tensor(float)': np.float32, 'tensor(int64)': np.int64}",
            "feed = {i.name: np.zeros([d if isinstance(d, int) else 1 for d in i.shape],",
            "                         types.get(i.type, np.float32))",
            "        for i in session.get_inputs()}",
            "outputs = session.run(None, feed)",
        ]
    precision = report.get("precision", "fp32")
    hint = (report.get("compile_properties") or {}).get("INFERENCE_PRECISION_HINT")
    rest = {v: k for k, v in PRECISION_HINTS.items()}.get(hint, "fp32")
    if precision == "int8" and rest != "fp32":  # an NNCF model's float layers
        precision += f", its float layers in {rest}"
    return [
        "## Deploy",
        "",
        f"Run it with **{runtime}** ({precision}), as it was measured:",
        "",
        "```python",
        *code,
        "```",
        "",
    ]


def _tf_counts(report: dict[str, Any]) -> list[str]:
    counts = report["tf_node_counts"]
    rows = ["| nodes | before | after |", "|---|---:|---:|"]
    for kind in ("const", "variable", "identity", "total"):
        rows.append(f"| {kind} | {counts['before'][kind]} | {counts['after'][kind]} |")
    return rows


def _tolerance_text(verify: dict[str, Any]) -> str:
    """The tolerance the verification used, in words (relative or absolute)."""
    return verify.get("tolerance") or f"rtol {verify['rtol']:g}, atol {verify['atol']:g}"


def to_markdown(report: dict[str, Any]) -> str:
    """The report for people: steps, op counts, verification, latency, sizes, machine."""
    verify, latency = report["verify"], report["latency_ms"]
    lines = [f"# Optimization report: {Path(report['model']).name}", ""]
    lines += [f"Output: `{report['output']}`", "", "## Steps", ""]
    if not report["steps"]:
        lines += ["None: the input model is handed back unchanged."]
    else:
        lines += ["| step | what | nodes before | nodes after | max abs diff | passed |"]
        lines += ["|---|---|---:|---:|---:|:-:|"]
    for s in report["steps"]:
        v = s["verify"]
        lines.append(
            f"| {s['name']} | {s['detail']} | {s['nodes_before']} | {s['nodes_after']} | "
            f"{v['max_abs_diff']:.3g} | {'yes' if v['passed'] else 'no'} |"
        )
    top1 = verify.get("top1_agreement")
    lines += ["", "## Verification against the original", ""]
    lines += [
        f"max abs diff {verify['max_abs_diff']:.3g}, mean abs diff {verify['mean_abs_diff']:.3g}, "
        f"top-1 agreement {'n/a' if top1 is None else f'{top1:.1%}'}, "
        f"{_tolerance_text(verify)}: "
        f"**{'passed' if verify['passed'] else 'FAILED'}**",
        "",
        "## Latency (ms, batch " + str(report["batch"]) + ")",
        "",
        *([f"Measured on {inputs_text(report['inputs'])}.", ""] if report.get("inputs") else []),
        "| model | p50 | p90 | p99 | mean |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in ("original", "optimized"):
        t = latency[name]
        lines.append(
            f"| {name} | {_ms(t['p50'])} | {_ms(t['p90'])} | {_ms(t['p99'])} | {_ms(t['mean'])} |"
        )
    lines += ["", f"Speedup (p50): {report['speedup']:.2f}x", ""]
    if report.get("candidates"):
        lines += ["## Candidates (auto mode)", "", *_candidate_table(report["candidates"]), ""]
        lines += _screened(report["candidates"])
        lines += _worst_nodes(report["candidates"])
    lines += _decision(report)
    lines += deploy_section(report)
    if report.get("tf_node_counts"):
        lines += ["## TensorFlow graph (frozen, pruned)", "", *_tf_counts(report), ""]
    sizes = report["size_bytes"]
    lines += ["## Node counts per op type", ""]
    lines += _op_table(report["before"]["op_counts"], report["after"]["op_counts"])
    lines += [
        "",
        f"Nodes: {report['before']['nodes']} → {report['after']['nodes']}. "
        f"Size: {sizes['original']:,} → {sizes['optimized']:,} bytes.",
        "",
    ]
    if report["notes"]:
        lines += ["## Notes", "", *[f"- {note}" for note in report["notes"]], ""]
    machine = report["machine"]
    libs = ", ".join(f"{k} {v}" for k, v in machine["libraries"].items())
    lines += [
        "## Machine",
        "",
        f"{machine['cpu']} ({' '.join(machine.get('cpu_flags') or ['flags unknown'])}), "
        f"{machine['cores']} cores, {machine['platform']}, "
        f"Python {machine['python']}; onnxruntime providers "
        f"{', '.join(machine['execution_providers'])}; {libs}",
        "",
    ]
    return "\n".join(lines)
