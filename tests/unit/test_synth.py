"""The benchmark's synthetic data: deterministic, the sample's columns, the sample's label rate."""

import csv

from benchmarks.synth import generate
from tests.helpers import read_sample


def _rows(path):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


def _big_tipper_rate(rows):
    scored = [r for r in rows if r["fare"] and r["tips"]]
    return sum(float(r["tips"]) > 0.2 * float(r["fare"]) for r in scored) / len(scored)


def test_same_seed_same_bytes_other_seed_other_rows(tmp_path):
    a = generate(2000, tmp_path / "a", seed=1).read_bytes()
    assert generate(2000, tmp_path / "b", seed=1).read_bytes() == a
    assert generate(2000, tmp_path / "c", seed=2).read_bytes() != a


def test_rows_have_the_sample_header_and_keep_its_label_rate(tmp_path):
    header, rows = _rows(generate(6000, tmp_path, seed=0))
    sample_header, sample = read_sample()
    assert header == sample_header
    assert len(rows) == 6000
    # Fare and tips are scaled together, so the big-tipper share stays the sample's.
    assert abs(_big_tipper_rate(rows) - _big_tipper_rate(sample)) < 0.02
    # Scaled rows are not copies of sample rows.
    sample_fares = {r["fare"] for r in sample}
    assert sum(r["fare"] not in sample_fares for r in rows) > 3000
