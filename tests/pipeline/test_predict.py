"""`python -m pipeline predict`: batch scores from the model the first e2e run pushed
(tests/pipeline/conftest.py), compared with what its serving signature returns, and bad input."""

import csv
import gzip
import subprocess
import sys

import numpy as np
import pytest

from components.features import CONTRACT
from tests.helpers import REPO_ROOT, csv_to_examples, write_csv
from tests.pipeline.conftest import TRAIN_ROWS

pytestmark = pytest.mark.e2e

ROWS = 300


def _predict(data, out, runs_output, *extra):
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "predict", "--data", str(data), "--output", str(out),
         "--pipeline-output", str(runs_output), *extra],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.fixture(scope="module")
def unseen(sample_rows):
    return sample_rows[TRAIN_ROWS : TRAIN_ROWS + ROWS]


def test_scores_every_row_of_every_file_as_the_served_model_does(runs, unseen, tmp_path, schema):
    import tensorflow as tf

    output, results = runs
    header = list(unseen[0])
    data = write_csv(tmp_path / "data", header, unseen[:200])
    # A second file, gzipped, with its columns in another order.
    with gzip.open(data / "more.csv.gz", "wt", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header[::-1])
        writer.writeheader()
        writer.writerows(unseen[200:])
    out = tmp_path / "scores" / "scores.csv"
    proc = _predict(data, out, output, "--keys", "trip_start_timestamp,company")
    assert proc.returncode == 0, proc.stderr[-3000:]
    version = results["first"][2][0]
    assert f"Scored {ROWS} rows from 2 files with model version {version}" in proc.stdout
    with open(out, newline="") as f:
        lines = list(csv.DictReader(f))
    key = CONTRACT.label.prediction_key
    assert list(lines[0]) == ["file", "row", "trip_start_timestamp", "company", key]
    assert len(lines) == ROWS
    by_key = {(line["file"], int(line["row"])): line for line in lines}
    expected_keys = [("trips.csv", i) for i in range(1, 201)]
    expected_keys += [("more.csv.gz", i) for i in range(1, ROWS - 200 + 1)]
    assert sorted(by_key) == sorted(expected_keys)
    rows = unseen[:200] + unseen[200:]
    assert [by_key[k]["company"] for k in expected_keys] == [r["company"] for r in rows]

    serve = tf.saved_model.load(str(output / "serving" / version)).signatures["serving_default"]
    examples = csv_to_examples(rows, schema, drop=tuple(CONTRACT.label_only_columns()))
    served = serve(examples=tf.constant(examples))[key].numpy().reshape(-1)
    batch = np.array([float(by_key[k][key]) for k in expected_keys])
    np.testing.assert_allclose(batch, served, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("fare", "twelve"), "data file trips.csv row 7: fare 'twelve' is not FLOAT"),
        (
            ("fare", ""),
            "data file trips.csv row 7 does not match the model's serving schema: ",
        ),
        (
            ("drop", "trip_miles"),
            "data file trips.csv lacks columns the model or --keys need: trip_miles",
        ),
        (("version", "42"), "no version 42 in "),
    ],
)
def test_bad_input_is_one_line_and_writes_no_output(runs, unseen, tmp_path, change, message):
    output, _ = runs
    rows = [dict(r) for r in unseen[:20]]
    header = list(rows[0])
    extra = ()
    if change[0] == "drop":
        header.remove(change[1])
    elif change[0] == "version":
        extra = ("--version", change[1])
    else:
        rows[6][change[0]] = change[1]
    data = write_csv(tmp_path / "data", header, rows)
    out = tmp_path / "scores.csv"
    proc = _predict(data, out, output, *extra)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert proc.stderr.startswith(f"error: {message}"), proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert list(tmp_path.glob("*scores*")) == []
