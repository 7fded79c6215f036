"""The serving check on hand-made SavedModels, each loaded in the probe's fresh process: a model
that serves, one whose graph calls back into Python (it answers in the process that built it,
but a model server has no such callback), and one whose graph file is damaged."""

import tensorflow as tf

from components.features import CONTRACT
from components.serving_check import check
from tests.helpers import N_ROWS, raw_row, to_tf_example

BAR_MS = 1000.0


def _requests() -> list[bytes]:
    keep = CONTRACT.serving_columns()
    return [
        to_tf_example({k: v for k, v in raw_row(i).items() if k in keep}) for i in range(N_ROWS)
    ]


def _save(path, score) -> str:
    """A SavedModel whose serving_default parses `fare` (required) and returns score(fare)."""
    module = tf.Module()
    spec = {"fare": tf.io.FixedLenFeature([1], tf.float32)}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve(examples):
        fare = tf.io.parse_example(examples, spec)["fare"]
        return {"probability": score(fare)}

    tf.saved_model.save(module, str(path), signatures={"serving_default": serve})
    return str(path)


def test_a_plain_tensorflow_model_is_servable(tmp_path, schema):
    model = _save(tmp_path / "m", lambda fare: tf.sigmoid(fare / 10.0))
    result = check(model, _requests(), schema, BAR_MS)
    assert result.blessed, result.reasons
    assert result.requests == N_ROWS
    assert set(result.malformed) == {
        "bytes that are no tf.Example",
        "fare missing",
        "fare sent as text",
    }
    assert all(how.startswith("rejected: ") for how in result.malformed.values())
    assert "fare" in result.malformed["fare missing"]
    assert 0 < result.latency_p50_ms <= result.latency_p99_ms <= BAR_MS


def test_a_graph_that_calls_back_into_python_is_not_servable(tmp_path, schema):
    def in_python(fare):
        return tf.py_function(lambda x: tf.sigmoid(x), [fare], tf.float32)

    model = _save(tmp_path / "m", in_python)
    # Where it was built, the callback exists and the model answers ...
    here = tf.saved_model.load(model).signatures["serving_default"]
    assert here(examples=tf.constant(_requests()[:2]))["probability"].shape == (2, 1)
    # ... but not in a process that only has the SavedModel.
    result = check(model, _requests(), schema, BAR_MS)
    assert not result.blessed
    assert result.reasons[0].startswith("serving_default failed on eval rows: ")


def test_a_damaged_model_is_not_servable(tmp_path, schema):
    model = _save(tmp_path / "m", lambda fare: tf.sigmoid(fare))
    pb = tmp_path / "m" / "saved_model.pb"
    pb.write_bytes(pb.read_bytes()[:100])
    result = check(model, _requests(), schema, BAR_MS)
    assert not result.blessed
    assert result.reasons == [result.reasons[0]]
    assert result.reasons[0].startswith("the model does not load without TFX: ")
    assert result.latency_p99_ms is None


def test_no_eval_rows_is_a_reason_not_a_crash(tmp_path, schema):
    result = check(str(tmp_path), [], schema, BAR_MS)
    assert result.reasons == ["the eval split has no rows to send as requests"]
