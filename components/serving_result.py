"""What the serving check found, and the rules that turn the probe's report into a verdict.

Pure (no TensorFlow, no TFX): the summary, the report and `inspect` read the result back from the
InfraBlessing, and the unit tests exercise every rule on hand-written reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SIGNATURE = "serving_default"
SERVING_INPUT = "examples"  # the input of the signature `components/export.py` writes
REPORT_FILE = "serving_check.json"  # beside the InfraBlessing's marker file
# Lines of a TensorFlow error message that frame the reason rather than give it.
_FRAMING = ("Graph execution error", "Detected at node", "<stack traces", "[[")


def tf_error_reason(message: str) -> str:
    """The line of a TensorFlow op error that says what was wrong ("Feature: fare (data type:
    float) is required but could not be found.")."""
    lines = [line.strip() for line in message.splitlines()]
    return next((line for line in lines if line and not line.startswith(_FRAMING)), "")


@dataclass
class ServingResult:
    """What the check found; `reasons` is empty when the model may be served."""

    reasons: list[str] = field(default_factory=list)
    requests: int = 0
    malformed: dict[str, str] = field(default_factory=dict)  # case -> how the model answered
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None
    max_latency_ms: float = 0.0
    load_seconds: float | None = None

    @property
    def blessed(self) -> bool:
        return not self.reasons

    def summary(self) -> str:
        """One line: why not, or what was checked."""
        if self.reasons:
            return "; ".join(self.reasons)
        return (
            f"loads without TFX/tf.Transform; {self.requests} eval requests answered, "
            f"{len(self.malformed)} malformed rejected; single-example latency p50 "
            f"{self.latency_p50_ms:.1f} ms, p99 {self.latency_p99_ms:.1f} ms "
            f"(bar {self.max_latency_ms:g} ms)"
        )


def _percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def judge(report: dict, requests: int, max_latency_ms: float) -> ServingResult:
    """Compares the probe's report with the bar. Pure, so every rule is unit-tested."""
    result = ServingResult(requests=requests, max_latency_ms=max_latency_ms)
    reasons = result.reasons
    if "load_error" in report:
        e = report["load_error"]
        reasons.append(f"the model does not load without TFX: {e['type']}: {e['message']}")
        return result
    result.load_seconds = report.get("load_seconds")
    if report.get("refused_imports"):
        names = ", ".join(report["refused_imports"])
        reasons.append(f"loading or calling the model imported what a model server lacks: {names}")
    if SIGNATURE not in report.get("signatures", []):
        reasons.append(f"no {SIGNATURE} signature (has: {', '.join(report.get('signatures', []))})")
        return result
    if report.get("inputs") != [SERVING_INPUT]:
        reasons.append(f"{SIGNATURE} takes {report.get('inputs')}, not [{SERVING_INPUT!r}]")
        return result
    if "call_error" in report:
        e = report["call_error"]
        reasons.append(f"{SIGNATURE} failed on eval rows: {e['type']}: {e['message']}")
        return result
    for key, out in report["outputs"].items():
        if not out["shape"] or out["shape"][0] != requests:
            reasons.append(f"output {key} has shape {out['shape']} for {requests} requests")
        elif not out["finite"] or out["min"] < 0.0 or out["max"] > 1.0:
            reasons.append(
                f"output {key} is not a probability (min {out['min']}, max {out['max']})"
            )
    for case, outcome in report.get("malformed", {}).items():
        if "rejected" in outcome:
            result.malformed[case] = "rejected: " + outcome["rejected"]["message"]
        elif "answered" in outcome:
            reasons.append(f"a malformed request ({case}) was answered instead of rejected")
        else:
            e = outcome["failed"]
            reasons.append(f"a malformed request ({case}) failed with {e['type']}: {e['message']}")
    timings = report.get("latency_ms") or []
    if timings:
        result.latency_p50_ms = round(_percentile(timings, 0.5), 3)
        result.latency_p99_ms = round(_percentile(timings, 0.99), 3)
        if result.latency_p99_ms > max_latency_ms:
            reasons.append(
                f"single-example latency p99 {result.latency_p99_ms:.1f} ms is above the "
                f"{max_latency_ms:g} ms bar"
            )
    return result
