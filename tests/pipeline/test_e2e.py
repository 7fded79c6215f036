"""The whole local pipeline, as the CLI runs it, on a slice of the taxi sample in a temp dir.

Three runs into one output directory: a fresh run that must bless and push; an identical run
served from the cache that must not push a duplicate; a run with an unreachable AUC bar that must
not bless and must leave the serving directory alone.
"""

import numpy as np
import pytest

from components import features as fc
from components.trainer import PREDICTION_KEY
from pipeline.factory import GATE_ID, RESOLVER_ID, STATISTICS_RESOLVER_ID
from pipeline.run_results import latest_run
from tests.conftest import csv_to_examples, read_sample, run_pipeline, write_csv

pytestmark = pytest.mark.e2e

TRAIN_ROWS = 5000
UNSEEN_ROWS = 3000
UPSTREAM = [
    "CsvExampleGen",
    "StatisticsGen",
    "ImportSchemaGen",
    "ExampleValidator",
    "Transform",
    "Trainer",
]
ALL_NODES = UPSTREAM + [
    STATISTICS_RESOLVER_ID,
    GATE_ID,
    RESOLVER_ID,
    "Evaluator",
    "Pusher",
]


@pytest.fixture(scope="module")
def sample_rows():
    return read_sample()[1]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, sample_rows):
    root = tmp_path_factory.mktemp("e2e")
    header = read_sample()[0]
    data = write_csv(root / "data", header, sample_rows[:TRAIN_ROWS])
    output = root / "out"
    results = {}
    for name, extra in (("first", ()), ("cached", ()), ("strict", ("--min-auc", "0.999"))):
        proc = run_pipeline(data, output, *extra, train_steps=300, eval_steps=50)
        results[name] = (
            proc,
            latest_run(output / "metadata.sqlite"),
            sorted(p.name for p in (output / "serving").iterdir())
            if (output / "serving").exists()
            else [],
        )
    return output, results


def _ok(proc):
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_first_run_completes_every_component_in_ml_metadata(runs):
    _, results = runs
    proc, outcome, _ = results["first"]
    _ok(proc)
    expected = {node: "COMPLETE" for node in ALL_NODES}
    expected[STATISTICS_RESOLVER_ID] = "EMPTY"  # no validated statistics before the first run
    assert outcome.states == expected


def test_example_validator_finds_the_bundled_data_clean(runs):
    """The curated schema matches what CsvExampleGen writes, so the gate passes good data."""
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    output, _ = runs
    files = sorted((output / "pipeline_root" / "ExampleValidator").rglob("SchemaDiff.pb"))
    assert files
    for path in files:
        anomalies = anomalies_pb2.Anomalies.FromString(path.read_bytes())
        assert dict(anomalies.anomaly_info) == {}, path


def test_first_run_blesses_and_pushes_one_version(runs):
    output, results = runs
    proc, outcome, versions = results["first"]
    _ok(proc)
    assert outcome.blessed is True
    assert len(versions) == 1 and versions[0].isdigit()
    assert outcome.pushed_to == str(output / "serving" / versions[0])
    assert "blessed and pushed to" in proc.stdout
    assert (output / "serving" / versions[0] / "saved_model.pb").is_file()


def test_pushed_model_scores_unseen_raw_examples_as_probabilities(runs, sample_rows, schema):
    import tensorflow as tf

    output, results = runs
    _, _, versions = results["first"]
    model = tf.saved_model.load(str(output / "serving" / versions[0]))
    unseen = sample_rows[TRAIN_ROWS : TRAIN_ROWS + UNSEEN_ROWS]
    examples = tf.constant(csv_to_examples(unseen, schema, drop=(fc.LABEL.numerator,)))
    scores = model.signatures["serving_default"](examples=examples)[PREDICTION_KEY].numpy()
    assert scores.shape == (len(unseen), 1)
    assert np.all((scores >= 0) & (scores <= 1))
    labels = [float(r["tips"]) > fc.LABEL.ratio * float(r["fare"]) for r in unseen]
    auc = tf.keras.metrics.AUC()
    auc.update_state(labels, scores.reshape(-1))
    assert auc.result().numpy() > 0.9, "taxi big-tipper is easy: cash trips record no tips"


def test_identical_second_run_is_served_from_the_cache_without_a_duplicate_push(runs):
    _, results = runs
    proc, outcome, versions = results["cached"]
    _ok(proc)
    assert {n: outcome.states[n] for n in UPSTREAM} == {n: "CACHED" for n in UPSTREAM}
    # The Evaluator re-runs because the baseline is now the first run's model (the same one).
    assert outcome.blessed is True
    assert versions == results["first"][2]
    assert outcome.pushed_to.endswith(versions[0])


def test_unblessed_model_is_not_pushed_and_serving_is_untouched(runs):
    _, results = runs
    proc, outcome, versions = results["strict"]
    _ok(proc)
    assert outcome.blessed is False
    assert outcome.pushed_to is None
    assert versions == results["first"][2]
    assert "not blessed" in proc.stdout
    assert "auc" in proc.stdout and "overall" in proc.stdout
