"""Bad input, one case per class: the run stops with a reason naming the problem, nothing trains,
and the model already being served stays exactly as it was.

One output directory serves all cases, as it would for a user: a good run first (it blesses and
pushes, and leaves validated statistics as the drift baseline), then each broken data set.
"""

import hashlib
from pathlib import Path

import pytest

from pipeline.runs.records import latest_run, open_store
from tests.helpers import read_sample, run_pipeline, write_csv

pytestmark = pytest.mark.e2e

ROWS = 2000


def _serving_digest(output: Path) -> dict[str, str]:
    serving = output / "serving"
    return {
        str(p.relative_to(serving)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(serving.rglob("*"))
        if p.is_file()
    }


def _trainer_executions(output: Path) -> int:
    store = open_store(output / "metadata.sqlite")
    return sum(1 for e in store.get_executions() if e.type.endswith(".Trainer"))


@pytest.fixture(scope="module")
def sample():
    header, rows = read_sample()
    return header, rows[:ROWS]


@pytest.fixture(scope="module")
def served(tmp_path_factory, sample):
    """An output directory with a blessed, pushed model from good data."""
    header, rows = sample
    root = tmp_path_factory.mktemp("bad_data")
    output = root / "out"
    proc = run_pipeline(write_csv(root / "good", header, rows), output)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert latest_run(output / "metadata.sqlite").pushed_to
    return root, output


def _string_in_numeric(header, rows):
    rows = [dict(r) for r in rows]
    for r in rows[::50]:
        r["fare"] = "twelve dollars"
    return header, rows


def _missing_column(header, rows):
    return [h for h in header if h != "trip_miles"], rows


def _extra_column(header, rows):
    return [*header, "driver_rating"], [{**r, "driver_rating": "5"} for r in rows]


def _empty_label(header, rows):
    return header, [{**r, "tips": ""} for r in rows]


def _unexpected_category(header, rows):
    rows = [dict(r) for r in rows]
    for r in rows[::4]:
        r["payment_type"] = "Bitcoin"
    return header, rows


def _shifted_distribution(header, rows):
    # Fares five times higher: every value still valid on its own, the distribution is not.
    return header, [{**r, "fare": f"{float(r['fare']) * 5 + 20:.2f}"} for r in rows]


SCHEMA_CASES = {
    "string in a numeric column": (_string_in_numeric, "fare"),
    "missing column": (_missing_column, "trip_miles"),
    "unknown extra column": (_extra_column, "driver_rating"),
    "label empty everywhere": (_empty_label, "tips"),
    "unexpected categorical value": (_unexpected_category, "payment_type"),
    "shifted numeric distribution": (_shifted_distribution, "fare"),
}


def _assert_nothing_trained_or_pushed(output, before_digest, before_trainers):
    assert _serving_digest(output) == before_digest
    assert _trainer_executions(output) == before_trainers
    assert not list((output / "serving").glob(".staging-*"))


@pytest.mark.parametrize("case", list(SCHEMA_CASES))
def test_bad_data_is_stopped_by_the_gate(served, sample, case):
    root, output = served
    make, column = SCHEMA_CASES[case]
    before, trainers = _serving_digest(output), _trainer_executions(output)
    header, rows = make(*sample)
    proc = run_pipeline(write_csv(root / case.replace(" ", "_"), header, rows), output)

    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith("error: the data does not meet its schema"), proc.stderr[-2000:]
    assert any(line.strip().startswith(f"{column}:") for line in lines[1:]), lines
    assert "Traceback" not in proc.stderr
    outcome = latest_run(output / "metadata.sqlite")
    assert outcome.states["DataGate"] == "FAILED"
    assert "Transform" not in outcome.states and "Trainer" not in outcome.states
    _assert_nothing_trained_or_pushed(output, before, trainers)


def test_shift_is_reported_as_drift(served, sample):
    root, output = served
    header, rows = _shifted_distribution(*sample)
    proc = run_pipeline(write_csv(root / "shifted_again", header, rows), output)
    assert "drift from the last validated data" in proc.stderr


FILE_CASES = {
    "header-only file": (lambda d: (d / "trips.csv").write_text("fare,tips\n"), "no data rows"),
    "file that is not CSV": (
        lambda d: (d / "trips.csv").write_bytes(bytes(range(256)) * 8),
        "is not CSV text",
    ),
    "empty data dir": (lambda d: None, "holds no .csv file"),
}


@pytest.mark.parametrize("case", list(FILE_CASES))
def test_unusable_files_are_rejected_before_anything_runs(served, case):
    root, output = served
    write, message = FILE_CASES[case]
    data = root / case.replace(" ", "_")
    data.mkdir()
    write(data)
    before, trainers = _serving_digest(output), _trainer_executions(output)
    runs_before = latest_run(output / "metadata.sqlite").run_id
    proc = run_pipeline(data, output)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and message in proc.stderr, proc.stderr
    assert latest_run(output / "metadata.sqlite").run_id == runs_before, "no run was started"
    _assert_nothing_trained_or_pushed(output, before, trainers)


def test_missing_data_dir(served):
    root, output = served
    proc = run_pipeline(root / "does-not-exist", output)
    assert proc.returncode == 2 and "does not exist" in proc.stderr


def test_a_worse_model_is_not_blessed_and_the_good_one_stays_served(served, sample):
    """Labels shuffled across rows: the data is valid, the model it trains is useless."""
    import random

    root, output = served
    header, rows = sample
    tips = [r["tips"] for r in rows]
    random.Random(0).shuffle(tips)
    shuffled = [{**r, "tips": t} for r, t in zip(rows, tips, strict=True)]
    before, trainers = _serving_digest(output), _trainer_executions(output)

    proc = run_pipeline(write_csv(root / "shuffled_labels", header, shuffled), output)
    assert proc.returncode == 0, proc.stderr[-3000:]  # the pipeline worked; the model did not
    outcome = latest_run(output / "metadata.sqlite")
    assert outcome.states["Trainer"] == "COMPLETE"
    assert _trainer_executions(output) == trainers + 1
    assert outcome.blessed is False and outcome.pushed_to is None
    assert _serving_digest(output) == before
    assert "not blessed" in proc.stdout
    # Both models are scored on the new eval split, where the served one does no better (its
    # labels are noise too), so it is the value threshold that rejects this one.
    assert "auc" in proc.stdout and "below the required 0.85" in proc.stdout


def test_a_model_worse_than_the_served_one_fails_the_change_threshold(served, sample):
    """Same good data, barely trained, with the value bar lowered so that only the comparison
    with the served model can stop it."""
    root, output = served
    header, rows = sample
    before = _serving_digest(output)
    proc = run_pipeline(
        write_csv(root / "good_again", header, rows), output, "--min-auc", "0.0", train_steps=1
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    outcome = latest_run(output / "metadata.sqlite")
    assert outcome.states["Trainer"] == "COMPLETE"
    assert outcome.blessed is False and outcome.pushed_to is None
    assert _serving_digest(output) == before
    assert "against the blessed baseline" in proc.stdout, proc.stdout
