"""Reads the contents of a run's artifacts for the summary, the report and `inspect`: statistics
and anomalies with TFDV, which wrote them; evaluations from TFMA's files without TensorFlow
(`evaluation_files.py`), so that `inspect` stays quick."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from components.hparams import TRAINING_RECORD, TUNING_RESULT
from components.serving_result import REPORT_FILE, ServingResult
from pipeline import nodes
from pipeline.runs.evaluation_files import metrics_by_slice
from pipeline.runs.records import RunOutcome


def _splits(uri: str, file_name: str) -> dict[str, Path]:
    """{split: path} for TFX's per-split layout `<uri>/Split-<name>/<file_name>`."""
    found = {
        p.parent.name.removeprefix("Split-"): p for p in Path(uri).glob(f"Split-*/{file_name}")
    }
    return {split: found[split] for split in sorted(found, key=lambda s: (s != "train", s))}


def statistics(outcome: RunOutcome) -> dict:
    """{split: DatasetFeatureStatistics} from the run's StatisticsGen output."""
    import tensorflow_data_validation as tfdv

    node = outcome.nodes.get(nodes.STATISTICS_GEN)
    artifact = node.output("ExampleStatistics") if node else None
    if artifact is None:
        return {}
    return {
        split: tfdv.load_stats_binary(str(path)).datasets[0]
        for split, path in _splits(artifact.uri, "FeatureStats.pb").items()
    }


def rows_per_split(outcome: RunOutcome) -> dict[str, int]:
    return {split: int(stats.num_examples) for split, stats in statistics(outcome).items()}


def anomalies(outcome: RunOutcome) -> dict[str, list[tuple[str, str]]]:
    """{split: [(column, description), ...]} from the run's ExampleValidator output."""
    from tensorflow_data_validation.utils import anomalies_util

    node = outcome.nodes.get(nodes.EXAMPLE_VALIDATOR)
    artifact = node.output("ExampleAnomalies") if node else None
    if artifact is None:
        return {}
    found = {}
    for split, path in _splits(artifact.uri, "SchemaDiff.pb").items():
        result = anomalies_util.load_anomalies_binary(str(path))
        found[split] = [
            (column, info.description or info.short_description)
            for column, info in sorted(result.anomaly_info.items())
        ]
    return found


Rules = dict[str, dict[str, float]]


@dataclass
class Evaluation:
    overall: dict[str, float]  # metric -> value, on the whole eval split
    # slice value (e.g. hour 7) -> metrics, for the slicing feature of the eval config
    slices: dict[str, dict[str, float]] = field(default_factory=dict)
    slice_feature: str | None = None
    baseline: dict[str, float] | None = None  # the baseline model's overall metrics, if any
    # {metric: {"min": 0.85, "min_change": -0.01}}: what the Evaluator required (`threshold_rules`)
    rules: Rules = field(default_factory=dict)


def quality_metrics(metrics: dict[str, float]) -> list[str]:
    """The model-quality metrics among TFMA's results: no example count, no baseline diffs."""
    return sorted(m for m in metrics if m != "example_count" and not m.endswith("_diff"))


def _eval_config(uri: str) -> dict:
    return json.loads((Path(uri) / "eval_config.json").read_text())["evalConfig"]


def _metric_name(metric: dict) -> str:
    named = json.loads(metric.get("config") or "{}").get("name")
    return named or re.sub(r"(?<=[a-z])(?=[A-Z])", "_", metric["className"]).lower()


def threshold_rules(config: dict) -> Rules:
    """{metric: {"min": 0.85, "min_change": -0.01}} (also "max", "max_change"): the rules the
    Evaluator applied on the whole eval split, from the eval config it saved beside its results."""
    rules: Rules = {}
    for spec in config.get("metricsSpecs", []):
        for metric in spec.get("metrics", []):
            thresholds = [t["threshold"] for t in metric.get("perSliceThresholds", [])]
            if "threshold" in metric:
                thresholds.append(metric["threshold"])
            found = rules.setdefault(_metric_name(metric), {})
            for threshold in thresholds:
                bounds = threshold.get("valueThreshold", {})
                if "lowerBound" in bounds:
                    found["min"] = bounds["lowerBound"]
                if "upperBound" in bounds:
                    found["max"] = bounds["upperBound"]
                change = threshold.get("changeThreshold")
                if change:
                    lower = change.get("direction") != "LOWER_IS_BETTER"
                    found["min_change" if lower else "max_change"] = change.get("absolute", 0.0)
    return {name: found for name, found in rules.items() if found}


def describe_rules(rules: dict[str, float]) -> list[str]:
    words = {"min": ">= {:g}", "max": "<= {:g}", "min_change": "change vs baseline >= {:+g}"}
    words["max_change"] = "change vs baseline <= {:+g}"
    return [words[k].format(v) for k, v in rules.items()]


def evaluation(uri: str) -> Evaluation:
    """The Evaluator's results in `uri`: the candidate's metrics overall and per slice, the
    baseline's overall metrics when there was one, and the rules it applied."""
    config = _eval_config(uri)
    specs = {m.get("name", ""): m for m in config["modelSpecs"]}
    baseline = next((name for name, m in specs.items() if m.get("isBaseline")), None)
    candidate = next((name for name, m in specs.items() if not m.get("isBaseline")), "")
    by_model = metrics_by_slice(uri)
    found = Evaluation(overall={}, rules=threshold_rules(config))
    for slice_key, metrics in by_model.get(candidate if baseline else "", {}).items():
        if slice_key == ():
            found.overall = metrics
        elif len(slice_key) == 1:
            ((feature, value),) = slice_key
            found.slice_feature = feature
            found.slices[str(value)] = metrics
    if baseline:
        found.baseline = by_model.get(baseline, {}).get(())
    return found


def training_record(outcome: RunOutcome) -> dict | None:
    """The Trainer's training record (how the model was trained, final metrics), if any."""
    if not outcome.model_run_uri:
        return None
    path = Path(outcome.model_run_uri) / TRAINING_RECORD
    return json.loads(path.read_text()) if path.is_file() else None


def serving_check(outcome: RunOutcome) -> ServingResult | None:
    """What the serving check found for the run's model, if it ran."""
    blessing = outcome.artifact("InfraBlessing")
    path = Path(blessing.uri) / REPORT_FILE if blessing else None
    if path is None or not path.is_file():
        return None
    return ServingResult(**json.loads(path.read_text()))


def tuning(outcome: RunOutcome) -> dict | None:
    """The Tuner's result (`run --tune`): best values, objective and every trial; None without
    a Tuner."""
    found = outcome.artifact("HyperParameters")
    path = Path(found.uri) / TUNING_RESULT if found else None
    return json.loads(path.read_text()) if path and path.is_file() else None


def describe_tuning(found: dict) -> str:
    """One line: 'best of 3 trials (val_auc 0.9310, trial 1): learning_rate 0.00308, ...'."""
    best = next(t for t in found["trials"] if t["number"] == found["best_trial"])
    values = ", ".join(
        f"{k} {'-'.join(map(str, v)) if isinstance(v, list) else f'{v:.3g}'}"
        for k, v in found["best"].items()
    )
    return (
        f"best of {len(found['trials'])} trials ({found['objective']} {best['value']:.4f}, "
        f"trial {best['number']}): {values}"
    )


def spans(outcome: RunOutcome) -> tuple[int, list[int]] | None:
    """(the span ExampleGen read, the spans Transform learnt from), for span folders; None
    otherwise."""
    example_gen = outcome.nodes.get(nodes.EXAMPLE_GEN)
    read = example_gen.output("Examples") if example_gen else None
    # TFX gives every Examples a span (0 without span folders); the pattern it resolved tells:
    # "span-3/*.csv" when the data comes in span folders.
    config = json.loads(str(example_gen.properties.get("input_config") or "{}")) if read else {}
    patterns = [split.get("pattern", "") for split in config.get("splits", [])]
    if not any(re.match(r"span-\d+/", p) for p in patterns):
        return None
    transform = outcome.nodes.get(nodes.TRANSFORM)
    window = transform.inputs.get("examples", []) if transform else []
    return int(read.properties["span"]), sorted(int(a.properties.get("span", 0)) for a in window)
