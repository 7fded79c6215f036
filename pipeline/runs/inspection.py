"""`inspect`: the runs in an output directory, the models they trained with their evaluations and
blessings, the pushes, and which model is serving and why. Everything comes from ML Metadata and
the artifacts it points to; nothing here loads TensorFlow, so the command answers in about a
second."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from components.serving_dir import served_versions
from pipeline import nodes
from pipeline.config import OutputLayout
from pipeline.runs import artifacts
from pipeline.runs.records import RunOutcome, all_runs, metadata_in


@dataclass
class EvaluationInfo:
    run_id: str
    blessed: bool | None
    metrics: dict[str, float]
    baseline_metrics: dict[str, float] | None


@dataclass
class ServingCheckInfo:
    run_id: str
    servable: bool
    summary: str  # what was checked (latency, requests), or why it cannot be served


@dataclass
class PushInfo:
    run_id: str
    to: str


@dataclass
class ModelInfo:
    model_uri: str
    trained_in_run: str
    training: dict | None = None  # training.json: options, replicas, final metrics
    tuning: dict | None = None  # the Tuner's trials and best values, when the run tuned
    spans: list[int] | None = None  # the spans it learnt from, when the data comes in spans
    evaluations: list[EvaluationInfo] = field(default_factory=list)  # one per Evaluator run
    serving_checks: list[ServingCheckInfo] = field(default_factory=list)
    pushes: list[PushInfo] = field(default_factory=list)

    def push_to(self, version_dir: str) -> PushInfo | None:
        return next((p for p in self.pushes if p.to == version_dir), None)


@dataclass
class RunInfo:
    run_id: str
    started: str
    seconds: float
    states: dict[str, str]
    blessed: bool | None
    pushed_to: str | None
    servable: bool | None = None  # the serving check's verdict; None if it did not finish

    @property
    def state(self) -> str:
        if any(s == "FAILED" for s in self.states.values()):
            return "failed"
        if any(s == "RUNNING" for s in self.states.values()):
            return "stopped"
        return "complete"


@dataclass
class Serving:
    version_dir: str | None
    model: ModelInfo | None


@dataclass
class Inspection:
    runs: list[RunInfo]
    models: list[ModelInfo]
    serving: Serving


def _when(epoch_seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch_seconds))


def _models(runs: list[RunOutcome]) -> dict[int, ModelInfo]:
    """By Model artifact id, in the order they were trained."""
    models: dict[int, ModelInfo] = {}
    for run in runs:
        trainer = run.nodes.get(nodes.TRAINER)
        model = trainer.output("Model") if trainer else None
        if model is not None and model.id not in models:
            spans = artifacts.spans(run)
            models[model.id] = ModelInfo(
                model.uri,
                run.run_id,
                artifacts.training_record(run),
                artifacts.tuning(run),
                spans[1] if spans else None,
            )
        evaluator = run.nodes.get(nodes.EVALUATOR)
        if evaluator and evaluator.state == "COMPLETE" and run.evaluation_uri:
            evaluation = artifacts.evaluation(run.evaluation_uri)
            for candidate in evaluator.inputs.get("model", []):
                if candidate.id in models:
                    models[candidate.id].evaluations.append(
                        EvaluationInfo(
                            run.run_id, run.blessed, evaluation.overall, evaluation.baseline
                        )
                    )
        check = run.nodes.get(nodes.SERVING_CHECK)
        if check and check.state == "COMPLETE" and run.serving_check:
            for candidate in check.inputs.get("model", []):
                if candidate.id in models:
                    models[candidate.id].serving_checks.append(
                        ServingCheckInfo(run.run_id, *run.serving_check)
                    )
        pusher = run.nodes.get(nodes.PUSHER)
        if pusher and run.pushed_to and pusher.state == "COMPLETE":
            for pushed in pusher.inputs.get("model", []):
                if pushed.id in models:
                    models[pushed.id].pushes.append(PushInfo(run.run_id, run.pushed_to))
    return models


def inspect(output: Path) -> Inspection:
    runs = all_runs(metadata_in(output))
    models = list(_models(runs).values())
    versions = served_versions(OutputLayout(output).serving_dir)
    serving = str(versions[-1]) if versions else None
    return Inspection(
        runs=[
            RunInfo(
                r.run_id,
                _when(r.started),
                round(r.seconds, 1),
                r.states,
                r.blessed,
                r.pushed_to,
                r.serving_check[0] if r.serving_check else None,
            )
            for r in runs
        ],
        models=models,
        serving=Serving(serving, next((m for m in models if m.push_to(serving)), None)),
    )


def inspect_as_json(output: Path) -> str:
    return json.dumps(asdict(inspect(output)), indent=2)


def _metric(metrics: dict | None, name: str) -> str:
    return f"{metrics[name]:.4f}" if metrics and name in metrics else "-"


def _why(model: ModelInfo, version_dir: str) -> list[str]:
    why = [f"trained in run {model.trained_in_run}"]
    if model.training:
        t = model.training
        why[0] += (
            f" ({t['model_api']} model, {t['training_loop']} loop, "
            f"{t['strategy']} strategy, {t['train_steps']} steps)"
        )
    if model.spans:
        why.append(
            f"trained on span{'s' if len(model.spans) > 1 else ''} "
            + ", ".join(map(str, model.spans))
        )
    if model.training and model.training.get("warm_start"):
        why.append(f"warm-started {model.training['warm_start']}")
    if model.tuning:
        why.append(f"tuned first: {artifacts.describe_tuning(model.tuning)}")
    push = model.push_to(version_dir)
    blessing = next((e for e in model.evaluations if e.run_id == push.run_id), None)
    if blessing:
        names = artifacts.quality_metrics(blessing.metrics)
        scores = ", ".join(f"{n} {_metric(blessing.metrics, n)}" for n in names)
        versus = (
            "baseline " + ", ".join(f"{n} {_metric(blessing.baseline_metrics, n)}" for n in names)
            if blessing.baseline_metrics
            else "no earlier blessed model to compare with"
        )
        why.append(f"blessed by the Evaluator in run {push.run_id}: {scores}; {versus}")
    check = next((c for c in model.serving_checks if c.run_id == push.run_id), None)
    if check:
        why.append(f"passed the serving check in run {push.run_id}: {check.summary}")
    why.append(f"pushed to {version_dir} by run {push.run_id}")
    return why


def inspect_as_text(output: Path) -> str:
    found = inspect(output)
    lines = ["Runs (oldest first):"]
    for r in found.runs:
        result = "blessed" if r.blessed else ("not blessed" if r.blessed is False else "-")
        result += ", not servable" if r.servable is False else ""
        pushed = f", pushed {Path(r.pushed_to).name}" if r.pushed_to else ""
        lines.append(f"  {r.run_id}  {r.seconds:6.1f} s  {r.state:<8}  {result}{pushed}")
    lines.append("Models (oldest first):")
    for m in found.models:
        verdicts = [
            f"{'blessed' if e.blessed else 'rejected'} in {e.run_id}" for e in m.evaluations
        ] + [
            f"{'servable' if c.servable else 'not servable'} in {c.run_id}"
            for c in m.serving_checks
        ]
        lines.append(
            f"  {m.model_uri}  trained in {m.trained_in_run}: "
            + (", ".join(verdicts) or "not evaluated")
            + (f"; pushed {len(m.pushes)}x" if m.pushes else "")
        )
    serving = found.serving
    if serving.version_dir is None:
        lines.append("Serving: nothing pushed yet")
    elif serving.model is None:
        lines.append(f"Serving: {serving.version_dir} (not pushed by a run recorded here)")
    else:
        lines.append(f"Serving: {serving.version_dir}")
        lines.extend(f"  {line}" for line in _why(serving.model, serving.version_dir))
    return "\n".join(lines)
