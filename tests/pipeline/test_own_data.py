"""Bring your own data: a differently shaped data set with a three-class label goes through the
whole pipeline after changing only the data, the schema and the feature contract, both drafted by
`python -m pipeline schema` and used as drafted.

The data is synthetic and seeded: fruit with weight, diameter, colour and an uninformative origin,
an id column the model must not use, and some missing weights.
"""

import csv
import random
import shutil
import subprocess
import sys

import numpy as np
import pytest

from pipeline.runs.records import latest_run
from tests.helpers import REPO_ROOT, pipeline_command

pytestmark = pytest.mark.e2e

CLASSES = ("apple", "banana", "orange")
ROWS = 3000
SHAPES = {  # weight g (mean, sd), diameter cm (mean, sd), colour weights
    "apple": ((180, 25), (7.5, 0.6), {"red": 0.6, "green": 0.35, "yellow": 0.05}),
    "banana": ((120, 20), (3.5, 0.4), {"yellow": 0.85, "green": 0.15}),
    "orange": ((200, 30), (8.0, 0.7), {"orange": 0.9, "green": 0.1}),
}
HEADER = ["stock_code", "weight_g", "diameter_cm", "colour", "origin", "harvest_month", "fruit"]


def fruit_rows(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        fruit = rng.choice(CLASSES)
        (w_mean, w_sd), (d_mean, d_sd), colours = SHAPES[fruit]
        weight = rng.gauss(w_mean, w_sd)
        rows.append(
            {
                "stock_code": f"SKU-{i:06d}",
                "weight_g": "" if rng.random() < 0.02 else f"{weight:.1f}",
                "diameter_cm": f"{rng.gauss(d_mean, d_sd):.2f}",
                "colour": rng.choices(list(colours), weights=list(colours.values()))[0],
                "origin": rng.choice(["north", "south", "east", "west"]),
                "harvest_month": rng.randint(1, 12),
                "fruit": fruit,
            }
        )
    return rows


def _write(directory, rows):
    directory.mkdir(parents=True)
    with open(directory / "fruit.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return directory


def _python(*args, cwd):
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=900
    )


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    root = tmp_path_factory.mktemp("own")
    rows = fruit_rows(ROWS)
    data = _write(root / "data", rows)
    drafted = _python(
        "-m", "pipeline", "schema", "--data", str(data), "--label", "fruit",
        "--out", str(root / "draft"), cwd=REPO_ROOT,
    )  # fmt: skip
    assert drafted.returncode == 0, drafted.stderr

    # The user's checkout: the template with only the schema and the contract replaced.
    repo = root / "repo"
    for package in ("components", "pipeline", "schema"):
        shutil.copytree(
            REPO_ROOT / package, repo / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    for name in ("pyproject.toml", "setup.py"):
        shutil.copy(REPO_ROOT / name, repo / name)
    shutil.copy(root / "draft" / "features.py", repo / "components" / "features.py")
    shutil.copy(root / "draft" / "schema.pbtxt", repo / "schema" / "schema.pbtxt")
    output = root / "out"
    # The same command a user runs, from the user's checkout.
    command = pipeline_command(data, output, train_steps=300, eval_steps=30)
    run = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=900)
    return root, drafted, run, output, rows


def test_schema_command_drafts_a_contract_and_a_schema(own):
    from tensorflow_metadata.proto.v0 import schema_pb2
    from tfx.utils import io_utils

    root, drafted, _, _, _ = own
    assert "Wrote" in drafted.stdout
    source = (root / "draft" / "features.py").read_text()
    namespace: dict = {}
    exec(compile(source, "features.py", "exec"), namespace)
    contract = namespace["CONTRACT"]
    assert contract.label.classes == CLASSES
    assert contract.unused_columns == ("stock_code",)  # unique per row: an id, not a feature
    assert {f.name: f.kind.value for f in contract.features} == {
        "weight_g": "dense",
        "diameter_cm": "dense",
        "colour": "vocab",
        "origin": "vocab",
        "harvest_month": "identity",
    }
    schema = io_utils.parse_pbtxt_file(str(root / "draft" / "schema.pbtxt"), schema_pb2.Schema())
    by_name = {f.name: f for f in schema.feature}
    assert list(by_name["fruit"].not_in_environment) == ["SERVING"]
    assert by_name["weight_g"].value_count.max == 1  # optional: some weights are missing
    assert not by_name["weight_g"].presence.HasField("min_fraction")
    floats = [f for f in schema.feature if f.type == schema_pb2.FLOAT]
    assert {f.name for f in floats} == {"weight_g", "diameter_cm"}
    assert all(f.float_domain.disallow_nan and f.float_domain.disallow_inf for f in floats)


def test_own_data_trains_blesses_and_pushes_a_three_class_model(own):
    _, _, run, output, _ = own
    assert run.returncode == 0, run.stdout + run.stderr
    outcome = latest_run(output / "metadata.sqlite")
    assert outcome.blessed is True
    assert outcome.pushed_to
    assert "sparse_categorical_accuracy" in run.stdout
    assert "anomalies: none" in run.stdout


def test_pushed_model_scores_raw_fruit_with_class_probabilities(own):
    import tensorflow as tf

    _, _, run, output, _ = own
    assert run.returncode == 0
    unseen = fruit_rows(300, seed=99)
    examples = [
        tf.train.Example(
            features=tf.train.Features(
                feature={
                    "weight_g": tf.train.Feature(
                        float_list=tf.train.FloatList(value=[float(r["weight_g"])])
                    )
                    if r["weight_g"]
                    else tf.train.Feature(float_list=tf.train.FloatList(value=[])),
                    "diameter_cm": tf.train.Feature(
                        float_list=tf.train.FloatList(value=[float(r["diameter_cm"])])
                    ),
                    "colour": tf.train.Feature(
                        bytes_list=tf.train.BytesList(value=[r["colour"].encode()])
                    ),
                    "origin": tf.train.Feature(
                        bytes_list=tf.train.BytesList(value=[r["origin"].encode()])
                    ),
                    "harvest_month": tf.train.Feature(
                        int64_list=tf.train.Int64List(value=[r["harvest_month"]])
                    ),
                }
            )
        ).SerializeToString()
        for r in unseen
    ]
    model = tf.saved_model.load(latest_run(output / "metadata.sqlite").pushed_to)
    out = model.signatures["serving_default"](examples=tf.constant(examples))
    assert list(out) == ["fruit_probabilities"]
    probabilities = out["fruit_probabilities"].numpy()
    assert probabilities.shape == (len(unseen), len(CLASSES))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    predicted = [CLASSES[i] for i in probabilities.argmax(axis=1)]
    accuracy = np.mean([p == r["fruit"] for p, r in zip(predicted, unseen, strict=True)])
    assert accuracy > 0.85, accuracy
