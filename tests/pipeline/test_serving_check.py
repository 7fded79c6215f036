"""The serving check before the push, in the runs of tests/pipeline/conftest.py: its verdict in ML
Metadata, the warmup file it adds to the pushed model, and a model it refuses."""

import numpy as np
import pytest

from components.features import CONTRACT
from components.serving_check import REQUESTS
from pipeline import nodes
from pipeline.runs.records import open_store

pytestmark = pytest.mark.e2e

WARMUP = "assets.extra/tf_serving_warmup_requests"


def _infra_blessings(output):
    store = open_store(output / "metadata.sqlite")
    return [a for a in store.get_artifacts() if a.type == "InfraBlessing"]


def test_first_run_records_a_servable_model_with_its_warmup_copy(runs):
    output, results = runs
    proc, outcome, _ = results["first"]
    assert outcome.states[nodes.SERVING_CHECK] == "COMPLETE"
    servable, summary = outcome.serving_check
    assert servable, summary
    assert f"{REQUESTS} eval requests answered, 3 malformed rejected" in summary
    assert f"Serving  ok: {summary}" in proc.stdout
    first = next(
        a for a in _infra_blessings(output) if a.uri == outcome.artifact("InfraBlessing").uri
    )
    assert first.custom_properties["blessed"].int_value == 1
    assert first.custom_properties["has_model"].int_value == 1


def test_pushed_model_carries_warmup_requests_that_replay_against_it(runs):
    import tensorflow as tf
    from tensorflow_serving.apis import prediction_log_pb2

    output, results = runs
    _, _, versions = results["first"]
    pushed = output / "serving" / versions[0]
    logs = [
        prediction_log_pb2.PredictionLog.FromString(r.numpy())
        for r in tf.data.TFRecordDataset(str(pushed / WARMUP))
    ]
    assert len(logs) == REQUESTS
    serve = tf.saved_model.load(str(pushed)).signatures["serving_default"]
    batch = []
    for log in logs:
        request = log.predict_log.request
        assert request.model_spec.signature_name == "serving_default"
        examples = tf.make_ndarray(request.inputs["examples"])
        assert examples.shape == (1,)
        parsed = tf.train.Example.FromString(examples[0])
        # What a client sends: the model's features, not the label's source column.
        assert CONTRACT.label.numerator not in parsed.features.feature
        batch.append(examples[0])
        score = serve(examples=tf.constant(examples))[CONTRACT.label.prediction_key].numpy()
        assert score.shape == (1, 1) and 0.0 <= score[0, 0] <= 1.0
    scores = serve(examples=tf.constant(batch))[CONTRACT.label.prediction_key].numpy()
    assert scores.shape == (REQUESTS, 1)
    assert np.unique(scores.round(4)).size > 1, "different trips, different probabilities"


def test_model_over_the_latency_bar_is_blessed_but_not_pushed(runs):
    _, results = runs
    proc, outcome, versions = results["slow"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert outcome.blessed is True
    servable, summary = outcome.serving_check
    assert not servable
    assert "single-example latency p99" in summary and "above the 0.001 ms bar" in summary
    assert "Serving  failed: single-example latency p99" in proc.stdout
    assert "failed the serving check: nothing pushed" in proc.stdout
    assert outcome.pushed_to is None
    assert outcome.artifact("PushedModel").properties["pushed"] == 0
    assert versions == results["first"][2]
