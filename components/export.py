"""Exports the trained model for serving.

The SavedModel carries two signatures:
- `serving_default`: a batch of serialized raw tf.Examples (input `examples`, no label needed)
  -> `{label.prediction_key: probabilities}` (taxi: `big_tipper_probability`, `[batch, 1]`), the
  Transform graph applied inside. TF Serving calls this.
- `transform_features`: serialized raw tf.Examples -> transformed features including the label;
  the Evaluator (TFMA) uses it to get labels and slices.

Beside it, `model.tflite` holds the network alone for TF Lite, on TF Lite builtin ops only:
transformed features in (the `transform_features` signature, or the app's own copy of the
transform, produces them), the same probabilities out. The whole serving function with the
Transform inside converts only with TF Select ops, and then fails at run time: TF Lite cannot
initialise the Transform's vocabulary tables from their asset files.
"""

from __future__ import annotations

import os

import tensorflow as tf
import tensorflow_transform as tft

from components.contract import Contract
from components.features import CONTRACT
from components.model import input_names, transformed_specs
from components.serving_result import SERVING_INPUT

TFLITE_FILE = "model.tflite"


def serving_signatures(
    model, tft_layer, tf_transform_output: tft.TFTransformOutput, contract: Contract = CONTRACT
) -> dict:
    """`serving_default` and `transform_features`, over `model` behind `tft_layer`."""
    raw_spec = tf_transform_output.raw_feature_spec()
    serving_spec = {k: v for k, v in raw_spec.items() if k in contract.serving_columns()}
    names = input_names(contract)
    prediction_key = contract.label.prediction_key
    examples = tf.TensorSpec(shape=[None], dtype=tf.string, name=SERVING_INPUT)

    # No AutoGraph: nothing here branches on data, and it would add seconds of tracing.
    @tf.function(input_signature=[examples], autograph=False)
    def serve(examples):
        raw = tf.io.parse_example(examples, serving_spec)
        transformed = tft_layer(raw)
        return {prediction_key: model({k: transformed[k] for k in names})}

    @tf.function(input_signature=[examples], autograph=False)
    def transform_features(examples):
        return tft_layer(tf.io.parse_example(examples, raw_spec))

    return {
        "serving_default": serve.get_concrete_function(),
        "transform_features": transform_features.get_concrete_function(),
    }


def export_saved_model(
    model: tf.keras.Model, tf_transform_output, export_dir: str, contract: Contract = CONTRACT
) -> None:
    """Saves the weights, the Transform graph and the signatures in a plain `tf.Module`: saving
    the Keras object itself re-traces every layer for Keras' own reloading (~4 s here), which
    nothing downstream uses (TFMA and TF Serving call the signatures)."""
    module = tf.Module()
    module.weights = model.weights
    module.tft_layer = tf_transform_output.transform_features_layer()
    signatures = serving_signatures(model, module.tft_layer, tf_transform_output, contract)
    tf.saved_model.save(module, export_dir, signatures=signatures)


def export_tflite(model: tf.keras.Model, path: str, contract: Contract = CONTRACT) -> None:
    """Converts the network (transformed features -> probability) to a TF Lite flatbuffer."""
    prediction_key = contract.label.prediction_key

    @tf.function(input_signature=[transformed_specs(contract)], autograph=False)
    def predict(features):
        return {prediction_key: model(features)}

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [predict.get_concrete_function()], model
    )
    with tf.io.gfile.GFile(path, "wb") as f:
        f.write(converter.convert())


def export(
    model: tf.keras.Model, tf_transform_output, export_dir: str, contract: Contract = CONTRACT
) -> None:
    """SavedModel and, in the same directory, its TF Lite twin."""
    export_saved_model(model, tf_transform_output, export_dir, contract)
    export_tflite(model, os.path.join(export_dir, TFLITE_FILE), contract)
