"""Helpers the tests share: the repository's paths, hand-made raw rows, tf.Example and CSV
writers, and the pipeline's CLI as a subprocess. Fixtures live in `conftest.py`."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = REPO_ROOT / "schema" / "schema.pbtxt"
DATA_CSV = REPO_ROOT / "data" / "data.csv"

# Twenty hand-made raw rows with known values, so transformed outputs can be checked exactly.
# Row i: fare = i + 1, tips chosen so that rows 0-4 are big tippers, hour = i, payment types
# 12 Cash / 6 Credit Card / 2 Unknown; row 3 lacks trip_seconds, pickup coordinates and company.
N_ROWS = 20


def raw_row(i: int) -> dict:
    fare = float(i + 1)
    payment = "Cash" if i < 12 else ("Credit Card" if i < 18 else "Unknown")
    missing = i == 3
    return {
        "fare": [fare],
        "tips": [fare * 0.5 if i < 5 else fare * 0.1],
        "trip_miles": [float(i) / 2],
        "trip_seconds": [] if missing else [60 * (i + 1)],
        "trip_start_hour": [i],
        "trip_start_day": [1 + i % 7],
        "trip_start_month": [1 + i % 12],
        "trip_start_timestamp": [1_400_000_000 + 3600 * i],
        "payment_type": [payment],
        "company": [] if missing else [f"Company {i % 3}"],
        "pickup_census_tract": [],
        "dropoff_census_tract": [17031081500 + (i % 2)],
        "pickup_community_area": [1 + i],
        "dropoff_community_area": [] if missing else [8],
        "pickup_latitude": [] if missing else [41.80 + 0.01 * i],
        "pickup_longitude": [] if missing else [-87.70 + 0.01 * i],
        "dropoff_latitude": [41.90],
        "dropoff_longitude": [-87.60],
    }


def to_tf_example(row: dict, drop: tuple[str, ...] = ()) -> bytes:
    import tensorflow as tf

    feature = {}
    for name, values in row.items():
        if name in drop or not values:
            continue
        if isinstance(values[0], str):
            f = tf.train.Feature(bytes_list=tf.train.BytesList(value=[v.encode() for v in values]))
        elif isinstance(values[0], float):
            f = tf.train.Feature(float_list=tf.train.FloatList(value=values))
        else:
            f = tf.train.Feature(int64_list=tf.train.Int64List(value=values))
        feature[name] = f
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def csv_to_examples(rows: list[dict], schema, drop: tuple[str, ...] = ()) -> list[bytes]:
    """Serialized tf.Examples from csv.DictReader rows, typed by the schema; empty cells are
    left out, as CsvExampleGen does."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    cast = {schema_pb2.FLOAT: float, schema_pb2.INT: lambda v: int(float(v)), schema_pb2.BYTES: str}
    types = {f.name: f.type for f in schema.feature}
    return [
        to_tf_example({k: [cast[types[k]](v)] for k, v in row.items() if v != ""}, drop)
        for row in rows
    ]


def read_sample() -> tuple[list[str], list[dict]]:
    """Header and rows of the bundled taxi CSV, as strings."""
    import csv

    with open(DATA_CSV, newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames), list(reader)


def write_csv(directory: Path, header: list[str], rows: list[dict]) -> Path:
    """Writes `directory/trips.csv` (columns not in `header` are dropped); returns the directory."""
    import csv

    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "trips.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return directory


def serving_digest(output: Path) -> dict[str, str]:
    """Every file of the output's serving directory with its content hash."""
    import hashlib

    serving = output / "serving"
    return {
        str(p.relative_to(serving)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(serving.rglob("*"))
        if p.is_file()
    }


def trainer_executions(output: Path) -> int:
    from pipeline.runs.records import open_store

    store = open_store(output / "metadata.sqlite")
    return sum(1 for e in store.get_executions() if e.type.endswith(".Trainer"))


def pipeline_command(data, output, *extra, train_steps=100, eval_steps=20) -> list[str]:
    """The CLI a user runs, with few training steps to keep end-to-end tests short."""
    from pipeline.options import run_command

    steps = ("--train-steps", str(train_steps), "--eval-steps", str(eval_steps))
    return run_command(data, output, *steps, *extra)


def run_pipeline(data, output, *extra, **steps):
    import subprocess

    return subprocess.run(
        pipeline_command(data, output, *extra, **steps),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )


def require_tool(name: str, needed_for: str) -> str:
    """The path of the command `name`. Missing, it skips the test on a developer machine and
    fails it in CI (`.ci/run` sets CI), where every tool the tests need is installed."""
    import shutil

    import pytest

    found = shutil.which(name)
    if found:
        return found
    message = f"`{name}` is not installed; it is needed for {needed_for}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
