"""Continuous training on three daily spans made from the sample: each new span is read alone,
trained on with the span before it (window 2) starting from the latest blessed model, compared
with that model on the new span's eval rows, and pushed only if it holds up; a run with no new
span does nothing and says so."""

import shutil

import pytest

from pipeline import nodes
from pipeline.runs.records import all_runs
from tests.helpers import read_sample, run_pipeline, write_csv

pytestmark = pytest.mark.e2e

SPAN_ROWS = 2000
OPTIONS = ("--window", "2", "--warm-start")


@pytest.fixture(scope="module")
def span_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("spans")
    header, rows = read_sample()
    data, output = root / "data", root / "out"
    data.mkdir()
    done = []
    for span in (1, 2, 3):
        made = write_csv(root / "made", header, rows[(span - 1) * SPAN_ROWS : span * SPAN_ROWS])
        shutil.move(made, data / f"span-{span}")
        proc = run_pipeline(data, output, *OPTIONS)
        done.append(proc)
    done.append(run_pipeline(data, output, *OPTIONS))  # nothing new
    return output, done


def _blessed_before(runs, index):
    """The model the latest blessing before run `index` blessed (None on the first run)."""
    for run in reversed(runs[:index]):
        if run.blessed:
            return run.nodes[nodes.TRAINER].output("Model").id
    return None


def test_each_new_span_is_read_alone_and_trained_with_the_one_before(span_runs):
    output, procs = span_runs
    for proc in procs:
        assert proc.returncode == 0, proc.stderr[-3000:]
    runs = all_runs(output / "metadata.sqlite")
    assert len(runs) == 3  # the fourth run started no pipeline
    for span, run in enumerate(runs, start=1):
        read = run.nodes[nodes.EXAMPLE_GEN].output("Examples")
        assert read.properties["span"] == span
        window = [a.properties["span"] for a in run.nodes[nodes.TRANSFORM].inputs["examples"]]
        assert sorted(window) == list(range(max(1, span - 1), span + 1))
        assert f"Spans    read span {span}; trained on span" in procs[span - 1].stdout


def test_each_new_model_starts_from_and_is_compared_with_the_latest_blessed_one(span_runs):
    from pipeline.runs import artifacts

    output, _ = span_runs
    runs = all_runs(output / "metadata.sqlite")
    assert runs[0].pushed_to
    assert not runs[0].nodes[nodes.EVALUATOR].inputs.get("baseline_model")
    assert artifacts.training_record(runs[0])["warm_start"] is None
    for i in (1, 2):
        before = _blessed_before(runs, i)
        assert before is not None
        evaluator = runs[i].nodes[nodes.EVALUATOR]
        assert [m.id for m in evaluator.inputs["baseline_model"]] == [before]
        trainer = runs[i].nodes[nodes.TRAINER]
        assert [m.id for m in trainer.inputs["base_model"]] == [before]
        assert artifacts.training_record(runs[i])["warm_start"].startswith("from ")
        # Pushed exactly when blessed by both checks.
        assert bool(runs[i].pushed_to) == bool(runs[i].blessed and runs[i].serving_check[0])


def test_a_run_with_no_new_span_does_nothing_and_says_so(span_runs):
    _, procs = span_runs
    last = procs[-1]
    assert last.returncode == 0, last.stderr[-3000:]
    assert "No new span: span 3 (the same files) was read by run " in last.stdout
    assert "nothing to train or push" in last.stdout
    assert "Run      " not in last.stdout


def test_inspect_and_the_report_name_the_spans_each_model_learnt_from(span_runs):
    import json
    import subprocess
    import sys

    from tests.helpers import REPO_ROOT

    output, _ = span_runs

    def cli(*args):
        proc = subprocess.run(
            [sys.executable, "-m", "pipeline", *args, "--output", str(output)],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    found = json.loads(cli("inspect", "--json"))
    assert [m["spans"] for m in found["models"]] == [[1], [1, 2], [2, 3]]
    serving = found["serving"]["model"]
    assert f"trained on span{'s' if len(serving['spans']) > 1 else ''} " in cli("inspect")
    report = cli("report").strip().removeprefix("Report: ")
    with open(report) as page:
        assert "this run read span 3; the model learnt from spans 2, 3" in page.read()
