"""What the CLI shows a user about the end-to-end runs: progress and summary lines, the HTML
report (content, and rendered in headless Chromium), and `inspect`."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import nodes
from pipeline.runs import artifacts
from tests.helpers import REPO_ROOT

pytestmark = pytest.mark.e2e

NODES = len(nodes.ALL) - len(nodes.OPTIONAL)  # the runs here do not tune


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _progress(stdout: str) -> list[tuple[int, str, str]]:
    """(index, node, state) of each progress line."""
    found = re.findall(
        r"^\[\s*(\d+)/(\d+)\] (\S+)\s+(running|complete|cached|empty|failed)", stdout, re.M
    )
    return [(int(i), node, state) for i, total, node, state in found if int(total) == NODES]


def test_first_run_prints_a_start_and_an_end_line_per_component_and_a_short_summary(runs):
    _, results = runs
    proc, outcome, _ = results["first"]
    lines = _progress(proc.stdout)
    assert [n for _, n, s in lines if s == "running"] == list(outcome.states)
    ended = {n: s for _, n, s in lines if s != "running"}
    assert ended == {n: s.lower() for n, s in outcome.states.items()}
    assert len(proc.stdout.splitlines()) <= 40, proc.stdout
    # The log flood went to the file named on the second line, not to the console.
    log_file = re.search(r"^Logs: (\S+)$", proc.stdout, re.M).group(1)
    assert "absl" in Path(log_file).read_text()
    assert not re.search(r"^(INFO|WARNING|I\d{4}|W\d{4})", proc.stdout + proc.stderr, re.M)
    rows = artifacts.rows_per_split(outcome)
    assert f"train {rows['train']:,} rows" in proc.stdout
    assert "anomalies: none" in proc.stdout
    auc = artifacts.evaluation(outcome.evaluation_uri).overall["auc"]
    assert f"auc {auc:.4f} (needs >= 0.85)" in proc.stdout
    assert f"pushed to {outcome.pushed_to}" in proc.stdout
    assert "Spans " not in proc.stdout  # one folder of CSV files, no span folders


def test_cached_run_shows_cached_components(runs):
    _, results = runs
    proc, _, _ = results["cached"]
    ended = {n: s for _, n, s in _progress(proc.stdout) if s != "running"}
    assert ended["Transform"] == ended["Trainer"] == "cached"
    assert "Baseline auc" in proc.stdout  # the first run's model is now the baseline


@pytest.fixture(scope="module")
def report(runs, tmp_path_factory):
    """The report of the first run (blessed and pushed), chosen by its run id."""
    output, results = runs
    _, outcome, _ = results["first"]
    path = tmp_path_factory.mktemp("report") / "first.html"
    proc = _cli("report", "--output", str(output), "--run", outcome.run_id, "--to", str(path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"Report: {path}"
    # TensorFlow's C++ start-up lines ("Unable to register cuDNN ...") went to the log.
    assert proc.stderr == ""
    return path, outcome


def test_report_holds_the_run_statistics_anomalies_metrics_and_lineage(report):
    path, outcome = report
    page = path.read_text()
    assert f"Pipeline run {outcome.run_id}" in page
    for split, rows in artifacts.rows_per_split(outcome).items():
        assert f"<td>{split}</td><td>{rows:,}</td>" in page
    assert "No anomalies" in page
    evaluation = artifacts.evaluation(outcome.evaluation_uri)
    assert f"<td>auc</td><td>{evaluation.overall['auc']:.4g}</td><td>&gt;= 0.85</td>" in page
    assert len(evaluation.slices) >= 20  # per trip_start_hour
    assert "Blessed" in page
    check = artifacts.serving_check(outcome)
    assert "Servable: loads and answers in a process with TensorFlow alone" in page
    assert f"<td>single-example latency p99 (ms)</td><td>{check.latency_p99_ms}</td>" in page
    assert "<td>malformed: fare missing</td><td>rejected: " in page
    # Lineage: data directory -> every node -> the pushed version.
    for node in outcome.states:
        assert f"<b>{node}</b>" in page
    assert outcome.pushed_to in page
    # Self-contained: plots are inline, nothing is fetched.
    assert len(re.findall(r'<img alt="plot" src="data:image/png;base64,', page)) >= 3
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_report_renders_in_headless_chromium(report, tmp_path):
    from PIL import Image

    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: `make test` installs it"
    path, _ = report
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1200,3000",
            f"--screenshot={shot}",
            path.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    image = Image.open(shot).convert("RGB")
    assert image.size == (1200, 3000)
    pixels = list(image.getdata())
    ink = sum(1 for p in pixels if p != (255, 255, 255)) / len(pixels)
    assert ink > 0.05, f"only {ink:.1%} of the screenshot is not white"
    assert len(set(pixels)) > 100  # text, tables and plots, not a flat page


def test_report_for_an_unknown_run_is_a_one_line_error(runs):
    output, _ = runs
    proc = _cli("report", "--output", str(output), "--run", "no-such-run")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"error: no run 'no-such-run' in {output}; `inspect` lists the runs"
    ]


def test_inspect_says_which_model_is_serving_and_why(runs):
    output, results = runs
    first = results["first"][1]
    proc = _cli("inspect", "--output", str(output), "--json")
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert [r["run_id"] for r in found["runs"]] == [
        results[n][1].run_id for n in ("first", "cached", "strict", "slow")
    ]
    assert [r["blessed"] for r in found["runs"]] == [True, True, False, True]
    assert [r["servable"] for r in found["runs"]] == [True, True, True, False]
    serving = found["serving"]
    assert serving["version_dir"] == first.pushed_to
    model = serving["model"]
    assert model["trained_in_run"] == first.run_id
    assert model["training"]["model_api"] == "functional"
    # The cached run (a lower bar) re-blessed it, the strict run rejected it, the slow run (the
    # first run's bar again, now with a baseline) blessed it; it was pushed once.
    assert [e["blessed"] for e in model["evaluations"]] == [True, True, False, True]
    assert model["evaluations"][0]["metrics"]["auc"] == pytest.approx(
        artifacts.evaluation(first.evaluation_uri).overall["auc"]
    )
    # Checked for serving by the first run (the cached run reused that check); the slow run's
    # bar was out of reach.
    assert [(c["run_id"], c["servable"]) for c in model["serving_checks"]] == [
        (first.run_id, True),
        (results["slow"][1].run_id, False),
    ]
    # Pushed by the first run; the cached run's push found the same model already served.
    assert model["pushes"] == [
        {"run_id": results[n][1].run_id, "to": first.pushed_to} for n in ("first", "cached")
    ]

    text = _cli("inspect", "--output", str(output))
    assert text.returncode == 0
    assert f"Serving: {first.pushed_to}" in text.stdout
    assert f"trained in run {first.run_id}" in text.stdout
    assert f"passed the serving check in run {first.run_id}: loads without TFX" in text.stdout


def test_evaluations_read_without_tensorflow_equal_tfma_load_eval_result(runs):
    """`artifacts.evaluation` reads TFMA's metrics files directly; TFMA's own loader must agree,
    with a baseline (the cached run) and without (the first run)."""
    import tensorflow_model_analysis as tfma

    _, results = runs
    for name, has_baseline in (("first", False), ("cached", True)):
        uri = results[name][1].evaluation_uri
        ours = artifacts.evaluation(uri)
        model = "candidate" if has_baseline else None
        theirs = {
            key: {k: v["doubleValue"] for k, v in m[""][""].items() if "doubleValue" in v}
            for key, m in tfma.load_eval_result(uri, model_name=model).slicing_metrics
        }
        assert ours.overall == pytest.approx(theirs[()])
        assert {(ours.slice_feature, int(k)) for k in ours.slices} == {
            key[0] for key in theirs if key
        }
        for key, metrics in theirs.items():
            if key:
                assert ours.slices[str(key[0][1])] == pytest.approx(metrics)
        if has_baseline:
            base = tfma.load_eval_result(uri, model_name="baseline").slicing_metrics
            expected = next(m for key, m in base if key == ())[""][""]
            assert ours.baseline == pytest.approx(
                {k: v["doubleValue"] for k, v in expected.items() if "doubleValue" in v}
            )
        else:
            assert ours.baseline is None
        # TFX drops the change threshold when there is no baseline to compare with; the cached
        # run lowered the bar to 0.8.
        expected_rules = {"min": 0.8, "min_change": -0.01} if has_baseline else {"min": 0.85}
        assert ours.rules["auc"] == expected_rules


def test_inspect_loads_no_tensorflow_and_prints_no_native_lines(runs):
    output, _ = runs
    code = (
        "import sys\n"
        "from pipeline.cli import main\n"
        f"code = main(['inspect', '--output', {str(output)!r}])\n"
        "assert 'tensorflow' not in sys.modules, 'inspect imported TensorFlow'\n"
        "sys.exit(code)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.startswith("Runs (oldest first):")
