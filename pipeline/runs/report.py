"""`report`: one self-contained HTML page about a run (no external files or network: plots are
inline PNGs), built from ML Metadata and the run's artifacts: what ran, the data per split, the
anomalies, the evaluation overall and per slice against the thresholds, the training curves, and
the lineage from the data to the push."""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path

from pipeline import nodes
from pipeline.errors import InputError
from pipeline.runs import artifacts
from pipeline.runs.records import RunOutcome, latest_run, metadata_in
from pipeline.runs.training_logs import read_scalars

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .5em 0 1em; font-size: .9em; }
td, th { border: 1px solid #ddd; padding: .25em .6em; text-align: left; }
th { background: #f3f3f3; }
.ok { color: #0a7d27; font-weight: bold; } .bad { color: #b00020; font-weight: bold; }
.flow { display: flex; flex-wrap: wrap; align-items: center; gap: .4em; }
.node { border: 1px solid #999; border-radius: 6px; padding: .4em .6em; background: #f8fbff; }
.node small { display: block; color: #555; }
.arrow { color: #777; font-size: 1.3em; }
img { max-width: 100%; }
"""


def _esc(value: object) -> str:
    return html.escape(str(value))


def _table(header: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode()
    return f'<img alt="plot" src="data:image/png;base64,{data}">'


def _figure(rows: int, cols: int, width: float, height: float):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(rows, cols, figsize=(width, height), squeeze=False)
    return fig, [ax for row in axes for ax in row]


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def _feature_rows(stats) -> list[list[object]]:
    # An empty CSV cell becomes an empty value list, not a missing feature, so "present" counts
    # values (one per row for these single-valued columns), not rows that have the feature.
    rows = []
    for feature in stats.features:
        name = ".".join(feature.path.step) or feature.name
        if feature.HasField("num_stats"):
            s = feature.num_stats
            common = s.common_stats
            detail = (
                f"mean {_fmt(s.mean)}, std {_fmt(s.std_dev)}, min {_fmt(s.min)}, "
                f"median {_fmt(s.median)}, max {_fmt(s.max)}"
            )
        else:
            s = feature.string_stats
            common = s.common_stats
            top = ", ".join(f"{v.value} ({int(v.frequency)})" for v in s.top_values[:3])
            detail = f"{s.unique} distinct; top: {top}"
        present = int(common.tot_num_values)
        missing = 100.0 * (1 - present / stats.num_examples) if stats.num_examples else 0.0
        rows.append([name, _type_name(feature.type), present, f"{max(missing, 0):.1f}%", detail])
    return rows


def _type_name(value: int) -> str:
    from tensorflow_metadata.proto.v0 import statistics_pb2

    return statistics_pb2.FeatureNameStatistics.Type.Name(value).lower()


def _histograms(by_split: dict) -> str:
    """Numeric features, one panel each, every split's histogram as a share of its rows."""
    names = [
        ".".join(f.path.step)
        for f in next(iter(by_split.values())).features
        if f.HasField("num_stats") and f.num_stats.histograms
    ]
    if not names:
        return ""
    cols = 4
    fig, axes = _figure((len(names) + cols - 1) // cols, cols, 14, 2.4 * ((len(names) + 3) // 4))
    for ax, name in zip(axes, names, strict=False):
        for split, stats in by_split.items():
            feature = next((f for f in stats.features if ".".join(f.path.step) == name), None)
            standard = [
                h for h in (feature.num_stats.histograms if feature else []) if h.type == h.STANDARD
            ]
            if not standard:
                continue
            hist = standard[0]
            total = sum(b.sample_count for b in hist.buckets) or 1
            ax.step(
                [b.low_value for b in hist.buckets],
                [b.sample_count / total for b in hist.buckets],
                where="post",
                label=split,
            )
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes[len(names) :]:
        ax.axis("off")
    axes[0].legend(fontsize=7)
    return _png(fig)


def _data_section(outcome: RunOutcome) -> str:
    by_split = artifacts.statistics(outcome)
    if not by_split:
        return "<h2>Data</h2><p>No statistics recorded for this run.</p>"
    parts = ["<h2>Data</h2>"]
    parts.append(
        _table(["split", "rows"], [[s, f"{int(st.num_examples):,}"] for s, st in by_split.items()])
    )
    parts.append(_histograms(by_split))
    for split, stats in by_split.items():
        parts.append(f"<h3>Columns in the {_esc(split)} split</h3>")
        parts.append(
            _table(["column", "type", "present", "missing", "distribution"], _feature_rows(stats))
        )
    return "".join(parts)


def _anomalies_section(outcome: RunOutcome) -> str:
    found = artifacts.anomalies(outcome)
    rows = [[split, column, text] for split, items in found.items() for column, text in items]
    if not found:
        body = "<p>The ExampleValidator did not run.</p>"
    elif not rows:
        body = '<p class="ok">No anomalies: every split matches the schema.</p>'
    else:
        body = _table(["split", "column", "problem"], rows)
    return "<h2>Anomalies</h2>" + body


def _slice_plot(ev: artifacts.Evaluation) -> str:
    if not ev.slices:
        return ""

    def order(key: str):
        return (0, float(key)) if re.fullmatch(r"-?\d+(\.\d+)?", key) else (1, key)

    keys = sorted(ev.slices, key=order)
    fig, (ax, counts) = _figure(1, 2, 13, 3.2)
    for metric in artifacts.quality_metrics(ev.overall):
        ax.plot(
            keys, [ev.slices[k].get(metric, float("nan")) for k in keys], marker="o", label=metric
        )
        if metric in ev.overall:
            ax.axhline(ev.overall[metric], linestyle="--", linewidth=0.8)
    ax.set_title(f"metrics by {ev.slice_feature} (dashed: overall)", fontsize=10)
    ax.legend(fontsize=8)
    counts.bar(keys, [ev.slices[k].get("example_count", 0) for k in keys])
    counts.set_title(f"eval rows by {ev.slice_feature}", fontsize=10)
    for a in (ax, counts):
        a.tick_params(labelsize=7)
    return _png(fig)


def _evaluation_section(outcome: RunOutcome) -> str:
    if not outcome.evaluation_uri:
        return "<h2>Evaluation</h2><p>The Evaluator did not run.</p>"
    ev = artifacts.evaluation(outcome.evaluation_uri)
    rules = ev.rules
    rows = []
    for name, value in sorted(ev.overall.items()):
        if name.endswith("_diff"):
            continue
        base = ev.baseline.get(name) if ev.baseline else None
        rows.append(
            [
                name,
                _fmt(value),
                "; ".join(artifacts.describe_rules(rules.get(name, {}))),
                _fmt(base) if base is not None else "none",
                f"{value - base:+.4f}" if base is not None else "",
            ]
        )
    verdict = {
        True: '<p class="ok">Blessed: the model met every threshold.</p>',
        False: '<p class="bad">Not blessed: the model missed a threshold; nothing was pushed.</p>',
        None: "<p>No blessing recorded.</p>",
    }[outcome.blessed]
    names = artifacts.quality_metrics(ev.overall)
    slices = [
        [k, *(_fmt(m.get(n, float("nan"))) for n in names), int(m.get("example_count", 0))]
        for k, m in sorted(ev.slices.items(), key=lambda kv: kv[0])
    ]
    return (
        "<h2>Evaluation</h2>"
        + verdict
        + "<p>Baseline: the latest blessed model, scored on the same eval rows.</p>"
        + _table(["metric", "candidate", "threshold", "baseline", "change"], rows)
        + _slice_plot(ev)
        + (
            f"<details><summary>Per {_esc(ev.slice_feature)} slice</summary>"
            + _table([ev.slice_feature or "slice", *names, "rows"], slices)
            + "</details>"
            if slices
            else ""
        )
    )


def _param(value: object) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _spans_line(outcome: RunOutcome) -> str:
    found = artifacts.spans(outcome)
    if found is None:
        return ""
    new, window = found
    return (
        f"<p>Continuous training: this run read span {new}; the model learnt from spans "
        f"{', '.join(map(str, window))}.</p>"
    )


def _tuning_section(outcome: RunOutcome) -> str:
    found = artifacts.tuning(outcome)
    if found is None:
        return ""
    names = list(found["best"])
    rows = [
        [
            t["number"],
            *(_param(t["params"].get(n, "-")) for n in names),
            _fmt(t["value"]) if t["value"] is not None else "failed",
            "best" if t["number"] == found["best_trial"] else "",
        ]
        for t in found["trials"]
    ]
    return (
        "<h2>Tuning</h2>"
        + f"<p>{_esc(artifacts.describe_tuning(found))}. The Trainer used these values.</p>"
        + _table(["trial", *names, found["objective"], ""], rows)
    )


def _serving_section(outcome: RunOutcome) -> str:
    found = artifacts.serving_check(outcome)
    if found is None:
        return "<h2>Serving check</h2><p>The serving check did not run.</p>"
    verdict = (
        '<p class="ok">Servable: loads and answers in a process with TensorFlow alone.</p>'
        if found.blessed
        else f'<p class="bad">Not servable, so not pushed: {_esc(found.summary())}.</p>'
    )
    rows = [
        ["eval rows sent as requests", found.requests],
        ["seconds to load", found.load_seconds if found.load_seconds is not None else "-"],
        ["single-example latency p50 (ms)", found.latency_p50_ms or "-"],
        ["single-example latency p99 (ms)", found.latency_p99_ms or "-"],
        ["latency bar, p99 (ms)", found.max_latency_ms],
    ]
    rows += [[f"malformed: {case}", how] for case, how in found.malformed.items()]
    return "<h2>Serving check</h2>" + verdict + _table(["check", "result"], rows)


def _training_section(outcome: RunOutcome) -> str:
    record = artifacts.training_record(outcome)
    curves = read_scalars(outcome.model_run_uri) if outcome.model_run_uri else {}
    parts = ["<h2>Training</h2>"]
    if record:
        parts.append(
            _table(
                ["model API", "loop", "strategy", "replicas", "workers", "steps"],
                [
                    [
                        record[k]
                        for k in (
                            "model_api",
                            "training_loop",
                            "strategy",
                            "replicas",
                            "workers",
                            "train_steps",
                        )
                    ]
                ],
            )
        )
    train = curves.get("train", {})
    tags = [t for t in train if t.startswith("batch_") and t != "batch_steps_per_second"]
    if tags:
        fig, axes = _figure(1, len(tags), 4.5 * len(tags), 3)
        for ax, tag in zip(axes, tags, strict=True):
            steps, values = zip(*train[tag], strict=True)
            ax.plot(steps, values, label="train (running mean)")
            final = curves.get("validation", {}).get(tag.replace("batch_", "epoch_"))
            if final:
                ax.axhline(final[-1][1], color="C1", linestyle="--", label="validation (end)")
            ax.set_title(tag.removeprefix("batch_"), fontsize=10)
            ax.set_xlabel("step", fontsize=8)
            ax.legend(fontsize=7)
        parts.append(_png(fig))
    else:
        parts.append("<p>No training curves recorded for this run.</p>")
    return "".join(parts)


def _lineage_section(outcome: RunOutcome) -> str:
    boxes = []
    example_gen = outcome.nodes.get(nodes.EXAMPLE_GEN)
    data_dir = example_gen.properties.get("input_base") if example_gen else None
    if data_dir:
        boxes.append(f'<div class="node"><b>CSV data</b><small>{_esc(data_dir)}</small></div>')
    for record in outcome.nodes.values():
        made = ", ".join(f"{a.type} #{a.id}" for arts in record.outputs.values() for a in arts)
        state_class = "bad" if record.state == "FAILED" else ""
        state = f"{_esc(record.state.lower())}, {record.seconds:.1f} s"
        boxes.append(
            f'<div class="node"><b>{_esc(record.node)}</b>'
            f'<small class="{state_class}">{state}</small><small>{_esc(made)}</small></div>'
        )
    if outcome.pushed_to:
        boxes.append(
            f'<div class="node"><b>Served model</b><small>{_esc(outcome.pushed_to)}</small></div>'
        )
    rows = [
        [record.node, key, a.type, a.id, a.uri]
        for record in outcome.nodes.values()
        for key, arts in record.outputs.items()
        for a in arts
    ]
    return (
        "<h2>Lineage: from the data to the push</h2>"
        + '<div class="flow">'
        + '<span class="arrow">&rarr;</span>'.join(boxes)
        + "</div><details><summary>Every artifact</summary>"
        + _table(["node", "output", "type", "id", "uri"], rows)
        + "</details>"
    )


def render(outcome: RunOutcome) -> str:
    result = (
        f'<span class="ok">blessed and pushed to {_esc(outcome.pushed_to)}</span>'
        if outcome.pushed_to
        else '<span class="bad">nothing pushed</span>'
    )
    failed = outcome.failed_nodes()
    status = f'<span class="bad">failed in {_esc(failed[-1])}</span>' if failed else "complete"
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>Run {_esc(outcome.run_id)}</title><style>{CSS}</style></head><body>"
        f"<h1>Pipeline run {_esc(outcome.run_id)}</h1>"
        f"<p>Status: {status}, {outcome.seconds:.0f} s. Result: {result}.</p>"
        + _spans_line(outcome)
        + _lineage_section(outcome)
        + _data_section(outcome)
        + _anomalies_section(outcome)
        + _evaluation_section(outcome)
        + _serving_section(outcome)
        + _tuning_section(outcome)
        + _training_section(outcome)
        + "</body></html>"
    )


def write_report(output: Path, run_id: str | None = None, to: Path | None = None) -> Path:
    outcome = latest_run(metadata_in(output), run_id)
    if outcome is None:
        raise InputError(f"no run {run_id!r} in {output}; `inspect` lists the runs")
    page = render(outcome)
    path = to or output / "reports" / f"run-{re.sub(r'[^0-9A-Za-z]+', '-', outcome.run_id)}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page)
    return path
