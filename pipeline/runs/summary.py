"""Turns what ML Metadata recorded about a run into a few lines for the user."""

from __future__ import annotations

import errno
import re
import shutil

from pipeline.config import PipelineConfig
from pipeline.runs import artifacts
from pipeline.runs.records import RunOutcome, latest_run


def _rule(threshold, value: float) -> str:
    if threshold.HasField("change_threshold"):
        allowed = threshold.change_threshold.absolute.value
        return f"changed by {value:+.4f} against the blessed baseline (allowed {allowed:+g})"
    bounds = threshold.value_threshold
    if bounds.HasField("lower_bound") and value < bounds.lower_bound.value:
        return f"is below the required {bounds.lower_bound.value:g}"
    return f"is above the allowed {bounds.upper_bound.value:g}"


def threshold_failures(evaluation_uri: str) -> list[str]:
    """One phrase per failed threshold, e.g. 'auc 0.7100 (overall) is below the required 0.85'."""
    import tensorflow_model_analysis as tfma

    validation = tfma.load_validation_result(evaluation_uri)
    failures = []
    for per_slice in validation.metric_validations_per_slice:
        where = (
            "overall"
            if not per_slice.slice_key.single_slice_keys
            else str(tfma.slicer.deserialize_slice_key(per_slice.slice_key))
        )
        for f in per_slice.failures:
            value = f.metric_value.double_value.value
            rule = _rule(f.metric_threshold, value)
            failures.append(f"{f.metric_key.name} {value:.4f} ({where}) {rule}")
    return failures


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# How a full disk reads in the errors of Python, TensorFlow's file system and SQLite (ML Metadata).
_DISK_FULL = re.compile(r"No space left on device|database or disk is full|\bENOSPC\b")
_LOW_SPACE = 16 * 2**20  # bytes free under which a failed run is put down to a full disk
# A CsvFormatError as Beam passes it on: re-raised in process, or as text from a portable runner.
_CSV_ERROR = re.compile(r"(?:^|CsvFormatError: )(data files? .+?)(?: \[while running .*)?$", re.M)


def csv_problem(exc: BaseException) -> str | None:
    """The reader's one-line CsvFormatError message, if that is what failed."""
    from components.csv_files import CsvFormatError

    text = str(exc)
    if isinstance(exc, CsvFormatError) or "CsvFormatError: " in text:
        found = _CSV_ERROR.search(text)
        return found.group(1) if found else None
    return None


def _disk_full(exc: BaseException, where: str | None) -> bool:
    if _DISK_FULL.search(str(exc)) or getattr(exc, "errno", None) == errno.ENOSPC:
        return True
    # SQLite rolls a statement back when the disk is full, and ML Metadata may report only the
    # COMMIT that follows ("cannot commit - no transaction is active"): what is left tells.
    try:
        return where is not None and shutil.disk_usage(where).free < _LOW_SPACE
    except OSError:
        return False


def describe_failure(
    config: PipelineConfig, exc: BaseException, log_file: str | None = None
) -> str:
    from components.data_gate import DataValidationError

    csv_problem_text = csv_problem(exc)
    if _disk_full(exc, config.output_dir):
        where = config.output_dir or config.pipeline_root
        return (
            f"error: no space left on the device holding {where}; free some and run again "
            "(cached steps are reused); nothing was pushed"
        )
    if isinstance(exc, DataValidationError):
        problems = str(exc).split("; ")
        return "\n".join(
            [
                f"error: the data does not meet its schema ({len(problems)} problem"
                f"{'s' if len(problems) > 1 else ''}); nothing was trained or pushed:"
            ]
            + [f"  {p}" for p in problems]
        )
    outcome = latest_run(config.metadata_path)
    failed = outcome.failed_nodes() if outcome else []
    where = f" in {failed[-1]}" if failed else ""
    if config.beam.runner in ("flink", "spark"):
        from cluster.jobs import failed_beam_job
        from cluster.local import Layout, home

        job = failed_beam_job(str(exc), config.beam.runner, cause=csv_problem_text)
        if job is not None:
            logs = f"{config.beam.runner} logs {Layout(home(), config.beam.runner).logs}"
            logs += f", run log {log_file}" if log_file else ""
            return f"error: pipeline failed{where}: {job} ({logs}); nothing was pushed"
    if csv_problem_text:
        return f"error: {csv_problem_text}; nothing was trained or pushed"
    return f"error: pipeline failed{where}: {type(exc).__name__}: {_first_line(exc)}"


def _metrics_line(metrics: dict[str, float], rules: dict[str, dict[str, float]]) -> str:
    parts = []
    for name, rule in rules.items():
        needs = [f"needs >= {rule['min']:g}"] if "min" in rule else []
        needs += [f"needs <= {rule['max']:g}"] if "max" in rule else []
        if name in metrics:
            bars = f" ({', '.join(needs)})" if needs else ""
            parts.append(f"{name} {metrics[name]:.4f}{bars}")
    return ", ".join(parts)


def _baseline_line(ev, rules: dict[str, dict[str, float]]) -> str:
    compared = [(n, r["min_change"]) for n, r in rules.items() if "min_change" in r]
    if ev.baseline is None or not compared or compared[0][0] not in ev.baseline:
        return "none yet (no blessed model to compare with)"
    name, allowed = compared[0]
    change = ev.overall.get(name, float("nan")) - ev.baseline[name]
    return f"{name} {ev.baseline[name]:.4f}, change {change:+.4f} (allowed >= {allowed:+g})"


def describe_run(config: PipelineConfig) -> tuple[str, bool]:
    """Returns the summary text and whether the run completed."""
    outcome: RunOutcome | None = latest_run(config.metadata_path)
    if outcome is None:
        return "error: the run left no record in ML Metadata", False
    rows = artifacts.rows_per_split(outcome)
    problems = sum(len(v) for v in artifacts.anomalies(outcome).values())
    data = ", ".join(f"{split} {n:,} rows" for split, n in rows.items())
    lines = [
        "",
        f"Run      {outcome.run_id}, {outcome.seconds:.0f} s in components",
        f"Data     {data}; anomalies: {problems or 'none'}",
    ]
    if spans := artifacts.spans(outcome):
        new, window = spans
        trained = ", ".join(str(s) for s in window)
        lines.append(
            f"Spans    read span {new}; trained on span{'s' if len(window) > 1 else ''} {trained}"
        )
    tuned = artifacts.tuning(outcome)
    if tuned:
        lines.append(f"Tuning   {artifacts.describe_tuning(tuned)}")
    if outcome.evaluation_uri:
        ev = artifacts.evaluation(outcome.evaluation_uri)
        rules = ev.rules
        count = int(ev.overall.get("example_count", 0))
        lines.append(f"Model    {_metrics_line(ev.overall, rules)} on {count:,} eval rows")
        lines.append(f"Baseline {_baseline_line(ev, rules)}")
    serving = outcome.serving_check
    if serving is not None:
        lines.append(f"Serving  {'ok' if serving[0] else 'failed'}: {serving[1]}")
    if outcome.blessed and outcome.pushed_to:
        lines.append(f"Result   blessed and pushed to {outcome.pushed_to}")
    elif outcome.blessed and serving is not None and not serving[0]:
        lines.append(
            "Result   blessed, but failed the serving check: nothing pushed; "
            "serving directory unchanged"
        )
    elif outcome.blessed and not outcome.pushed_to:
        lines.append("Result   blessed; the same model is already served, nothing new pushed")
    elif outcome.blessed is False:
        reasons = threshold_failures(outcome.evaluation_uri) if outcome.evaluation_uri else []
        lines.append("Result   not blessed, nothing pushed; serving directory unchanged")
        lines.extend(f"         failed threshold {r}" for r in reasons)
    scored = outcome.artifact("InferenceResult")
    if scored is not None:
        skipped = scored.properties.get("skipped")
        lines.append(
            f"Scores   skipped: {skipped}"
            if skipped
            else f"Scores   {scored.properties.get('rows', 0):,} rows of {config.predict_data_dir} "
            f"-> {scored.uri}/scores.csv"
        )
    lines.append(f"Report   python -m pipeline report --output {config.output_dir}")
    return "\n".join(lines), not outcome.failed_nodes()
