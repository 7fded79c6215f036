"""Bad input, one case per class: the run stops with a reason naming the problem, nothing trains,
and the model already being served stays exactly as it was.

One output directory serves all cases, as it would for a user: a good run first (the `served`
fixture: it blesses and pushes, and leaves validated statistics as the drift baseline), then each
broken data set.
"""

import gzip

import pytest

from pipeline.runs.records import latest_run
from tests.helpers import run_pipeline, serving_digest, trainer_executions, write_csv

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sample(served_sample):
    return served_sample


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


def _non_finite_numbers(header, rows):
    rows = [dict(r) for r in rows]
    for r in rows[::50]:
        r["fare"] = "nan"
    for r in rows[25::50]:
        r["trip_miles"] = "inf"
    for r in rows[10::50]:
        r["trip_seconds"] = "-inf"
    return header, rows


# Each case: the data, and the start of the line the user must see for each broken column.
SCHEMA_CASES = {
    "string in a numeric column": (
        _string_in_numeric,
        ["fare: unexpected data type (Expected data of type: FLOAT but got STRING)"],
    ),
    "non-finite numbers": (
        _non_finite_numbers,
        [
            "fare: invalid values (Float feature has NaN values)",
            "trip_miles: invalid values (Float feature has Inf values)",
            "trip_seconds: unexpected data type (Expected data of type: INT but got FLOAT)",
        ],
    ),
    "missing column": (_missing_column, ["trip_miles: column dropped"]),
    "unknown extra column": (_extra_column, ["driver_rating:"]),
    "label empty everywhere": (
        _empty_label,
        ["tips: no values (the column is there, but every cell is empty)"],
    ),
    "unexpected categorical value": (_unexpected_category, ["payment_type:"]),
    # Only the drift comparator against the last validated data reports a divergence.
    "shifted numeric distribution": (
        _shifted_distribution,
        ["fare: high approximate jensen-shannon divergence"],
    ),
}


def _assert_nothing_trained_or_pushed(output, before_digest, before_trainers):
    assert serving_digest(output) == before_digest
    assert trainer_executions(output) == before_trainers
    assert not list((output / "serving").glob(".staging-*"))


@pytest.mark.parametrize("case", list(SCHEMA_CASES))
def test_bad_data_is_stopped_by_the_gate(served, sample, case):
    root, output = served
    make, expected = SCHEMA_CASES[case]
    before, trainers = serving_digest(output), trainer_executions(output)
    header, rows = make(*sample)
    proc = run_pipeline(write_csv(root / case.replace(" ", "_"), header, rows), output)

    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith("error: the data does not meet its schema"), proc.stderr[-2000:]
    for start in expected:
        assert any(line.strip().startswith(start) for line in lines[1:]), (start, lines)
    if case != "missing column":  # a present column is never reported as dropped
        assert "column dropped" not in proc.stderr, lines
    assert "Traceback" not in proc.stderr
    outcome = latest_run(output / "metadata.sqlite")
    assert outcome.states["DataGate"] == "FAILED"
    assert "Transform" not in outcome.states and "Trainer" not in outcome.states
    _assert_nothing_trained_or_pushed(output, before, trainers)


def _duplicate_column(d, header, rows):
    # Both columns named "fare": which one a reader would use is undefined.
    text = (d / "trips.csv").read_text()
    (d / "trips.csv").write_text(text.replace("trip_miles", "fare", 1))


def _different_headers(d, header, rows):
    write_csv(d / "second", [h for h in header if h != "company"], rows[:50])
    (d / "second" / "trips.csv").rename(d / "more-trips.csv")
    (d / "second").rmdir()


def _not_utf8(d, header, rows):
    text = (d / "trips.csv").read_text()
    text = text.replace("Taxi Affiliation", "Café Affiliation")
    (d / "trips.csv").write_bytes(text.encode("cp1252"))  # a Windows code page, not UTF-8


FILE_CASES = {
    "header-only file": (lambda d, *_: (d / "trips.csv").write_text("fare,tips\n"), "no data rows"),
    "file that is not CSV": (
        lambda d, *_: (d / "trips.csv").write_bytes(bytes(range(256)) * 8),
        "is not CSV text",
    ),
    "empty data dir": (lambda d, *_: (d / "trips.csv").unlink(), "holds no .csv or .csv.gz file"),
    "column named twice": (
        _duplicate_column,
        "column 'fare' appears twice in the header (columns 2 and 11)",
    ),
    "files with different headers": (
        _different_headers,
        "have different columns: only ",
    ),
    "text that is not UTF-8": (_not_utf8, "is not utf-8 text (byte 0xe9)"),
}


@pytest.mark.parametrize("case", list(FILE_CASES))
def test_unusable_files_are_rejected_before_anything_runs(served, sample, case):
    root, output = served
    write, message = FILE_CASES[case]
    data = write_csv(root / case.replace(" ", "_"), *sample)
    write(data, *sample)
    before, trainers = serving_digest(output), trainer_executions(output)
    runs_before = latest_run(output / "metadata.sqlite").run_id
    proc = run_pipeline(data, output)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and message in proc.stderr, proc.stderr
    assert latest_run(output / "metadata.sqlite").run_id == runs_before, "no run was started"
    _assert_nothing_trained_or_pushed(output, before, trainers)


def _short_row(d, header, rows):
    lines = (d / "trips.csv").read_text().splitlines(keepends=True)
    lines[56] = lines[56].rsplit(",", 2)[0] + "\n"
    (d / "trips.csv").write_text("".join(lines))
    return "trips.csv line 57: 16 fields where the header has 18"


def _long_row_gzipped(d, header, rows):
    lines = (d / "trips.csv").read_text().splitlines(keepends=True)
    lines[1200] = lines[1200].rstrip("\n") + ",5\n"
    (d / "trips.csv.gz").write_bytes(gzip.compress("".join(lines).encode()))
    (d / "trips.csv").unlink()
    return "trips.csv.gz line 1201: 19 fields where the header has 18"


ROW_CASES = {"row with too few fields": _short_row, "row with too many fields": _long_row_gzipped}


@pytest.mark.parametrize("case", list(ROW_CASES))
def test_malformed_rows_stop_the_run_naming_file_and_line(served, sample, case):
    root, output = served
    data = write_csv(root / case.replace(" ", "_"), *sample)
    message = ROW_CASES[case](data, *sample)
    before, trainers = serving_digest(output), trainer_executions(output)
    proc = run_pipeline(data, output)
    assert proc.returncode == 1
    line = proc.stderr.strip()
    assert line.count("\n") == 0 and line.startswith("error: data file "), proc.stderr[-2000:]
    assert line.endswith(f"{message}; nothing was trained or pushed"), line
    assert latest_run(output / "metadata.sqlite").states["CsvExampleGen"] == "FAILED"
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
    before, trainers = serving_digest(output), trainer_executions(output)

    proc = run_pipeline(write_csv(root / "shuffled_labels", header, shuffled), output)
    assert proc.returncode == 0, proc.stderr[-3000:]  # the pipeline worked; the model did not
    outcome = latest_run(output / "metadata.sqlite")
    assert outcome.states["Trainer"] == "COMPLETE"
    assert trainer_executions(output) == trainers + 1
    assert outcome.blessed is False and outcome.pushed_to is None
    assert serving_digest(output) == before
    assert "not blessed" in proc.stdout
    # Both models are scored on the new eval split, where the served one does no better (its
    # labels are noise too), so it is the value threshold that rejects this one.
    assert "auc" in proc.stdout and "below the required 0.85" in proc.stdout


def test_a_model_worse_than_the_served_one_fails_the_change_threshold(served, sample):
    """Same good data, barely trained, with the value bar lowered so that only the comparison
    with the served model can stop it."""
    root, output = served
    header, rows = sample
    before = serving_digest(output)
    proc = run_pipeline(
        write_csv(root / "good_again", header, rows), output, "--min-auc", "0.0", train_steps=1
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    outcome = latest_run(output / "metadata.sqlite")
    assert outcome.states["Trainer"] == "COMPLETE"
    assert outcome.blessed is False and outcome.pushed_to is None
    assert serving_digest(output) == before
    assert "against the blessed baseline" in proc.stdout, proc.stdout
