"""`inspect`: the runs in an output directory, the models they trained with their evaluations and
blessings, the pushes, and which model is serving and why. Everything comes from ML Metadata."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipeline import artifacts
from pipeline.config import local_config
from pipeline.run_results import RunOutcome, all_runs, metadata_in


@dataclass
class ModelInfo:
    model_uri: str
    trained_in_run: str
    training: dict | None = None  # training.json: options, replicas, final metrics
    # One entry per Evaluator run on this model: run_id, blessed, metrics, baseline_metrics.
    evaluations: list[dict] = field(default_factory=list)
    pushes: list[dict] = field(default_factory=list)  # run_id, to


@dataclass
class RunInfo:
    run_id: str
    started: str
    seconds: float
    states: dict[str, str]
    blessed: bool | None
    pushed_to: str | None


def _when(epoch_seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch_seconds))


def _models(runs: list[RunOutcome]) -> dict[int, ModelInfo]:
    """By Model artifact id, in the order they were trained."""
    models: dict[int, ModelInfo] = {}
    for run in runs:
        trainer = run.nodes.get("Trainer")
        model = trainer.output("Model") if trainer else None
        if model is not None and model.id not in models:
            models[model.id] = ModelInfo(model.uri, run.run_id, artifacts.training_record(run))
        evaluator = run.nodes.get("Evaluator")
        if evaluator and evaluator.state == "COMPLETE" and run.evaluation_uri:
            evaluation = artifacts.evaluation(run.evaluation_uri)
            for candidate in evaluator.inputs.get("model", []):
                if candidate.id in models:
                    models[candidate.id].evaluations.append(
                        {
                            "run_id": run.run_id,
                            "blessed": run.blessed,
                            "metrics": evaluation.overall,
                            "baseline_metrics": evaluation.baseline,
                        }
                    )
        pusher = run.nodes.get("Pusher")
        if pusher and run.pushed_to and pusher.state == "COMPLETE":
            for pushed in pusher.inputs.get("model", []):
                if pushed.id in models:
                    models[pushed.id].pushes.append({"run_id": run.run_id, "to": run.pushed_to})
    return models


def _serving(output: Path) -> str | None:
    from components.pusher import served_versions

    versions = served_versions(Path(local_config(output_dir=output).serving_dir))
    return str(versions[-1]) if versions else None


def inspect(output: Path) -> dict:
    runs = all_runs(metadata_in(output))
    models = _models(runs)
    serving = _serving(output)
    serving_model = next(
        (m for m in models.values() if any(p["to"] == serving for p in m.pushes)), None
    )
    return {
        "runs": [
            asdict(
                RunInfo(
                    r.run_id,
                    _when(r.started),
                    round(r.seconds, 1),
                    r.states,
                    r.blessed,
                    r.pushed_to,
                )
            )
            for r in runs
        ],
        "models": [asdict(m) for m in models.values()],
        "serving": {
            "version_dir": serving,
            "model": asdict(serving_model) if serving_model else None,
        },
    }


def inspect_as_json(output: Path) -> str:
    return json.dumps(inspect(output), indent=2)


def _metric(metrics: dict | None, name: str) -> str:
    return f"{metrics[name]:.4f}" if metrics and name in metrics else "-"


def _run_state(states: dict[str, str]) -> str:
    if any(s == "FAILED" for s in states.values()):
        return "failed"
    if any(s == "RUNNING" for s in states.values()):
        return "stopped"
    return "complete"


def _why(model: dict, version_dir: str) -> list[str]:
    why = [f"trained in run {model['trained_in_run']}"]
    training = model.get("training")
    if training:
        why[0] += (
            f" ({training['model_api']} model, {training['training_loop']} loop, "
            f"{training['strategy']} strategy, {training['train_steps']} steps)"
        )
    push = next(p for p in model["pushes"] if p["to"] == version_dir)
    blessing = next((e for e in model["evaluations"] if e["run_id"] == push["run_id"]), None)
    if blessing:
        metrics, baseline = blessing["metrics"], blessing["baseline_metrics"]
        names = artifacts.quality_metrics(metrics)
        scores = ", ".join(f"{n} {_metric(metrics, n)}" for n in names)
        versus = (
            "baseline " + ", ".join(f"{n} {_metric(baseline, n)}" for n in names)
            if baseline
            else "no earlier blessed model to compare with"
        )
        why.append(f"blessed by the Evaluator in run {push['run_id']}: {scores}; {versus}")
    why.append(f"pushed to {version_dir} by run {push['run_id']}")
    return why


def inspect_as_text(output: Path) -> str:
    found = inspect(output)
    lines = ["Runs (oldest first):"]
    for r in found["runs"]:
        result = "blessed" if r["blessed"] else ("not blessed" if r["blessed"] is False else "-")
        pushed = f", pushed {Path(r['pushed_to']).name}" if r["pushed_to"] else ""
        lines.append(
            f"  {r['run_id']}  {r['seconds']:6.1f} s  {_run_state(r['states']):<8}  "
            f"{result}{pushed}"
        )
    lines.append("Models (oldest first):")
    for m in found["models"]:
        verdicts = [
            f"{'blessed' if e['blessed'] else 'rejected'} in {e['run_id']}"
            for e in m["evaluations"]
        ]
        lines.append(
            f"  {m['model_uri']}  trained in {m['trained_in_run']}: "
            + (", ".join(verdicts) or "not evaluated")
            + (f"; pushed {len(m['pushes'])}x" if m["pushes"] else "")
        )
    serving = found["serving"]
    if serving["version_dir"] is None:
        lines.append("Serving: nothing pushed yet")
    elif serving["model"] is None:
        lines.append(f"Serving: {serving['version_dir']} (not pushed by a run recorded here)")
    else:
        lines.append(f"Serving: {serving['version_dir']}")
        lines.extend(f"  {line}" for line in _why(serving["model"], serving["version_dir"]))
    return "\n".join(lines)
