"""The tf.keras model: a wide-and-deep Functional network over the transformed features.

Pure: it knows the feature contract, not TFX, so tests build and train it on in-memory tensors.
Written against `tf.keras` only; inside TFX 1.16 that is tf_keras 2.16 (TF_USE_LEGACY_KERAS=1).
"""

from __future__ import annotations

import tensorflow as tf

from components import features as fc
from components.hparams import ModelParams


def input_names() -> list[str]:
    return [fc.transformed_name(f.name) for f in fc.FEATURES]


def build_model(params: ModelParams | None = None) -> tf.keras.Model:
    """Wide (one-hot categoricals, linear) plus deep (numerics and one-hots, MLP) into one logit."""
    params = params or ModelParams()
    inputs = {
        fc.transformed_name(f.name): tf.keras.Input(
            shape=(1,),
            name=fc.transformed_name(f.name),
            dtype=tf.int64 if f.is_categorical else tf.float32,
        )
        for f in fc.FEATURES
    }
    numeric = [inputs[fc.transformed_name(f.name)] for f in fc.FEATURES if not f.is_categorical]
    one_hots = [
        tf.keras.layers.CategoryEncoding(
            num_tokens=f.cardinality, output_mode="one_hot", name=f"{f.name}_one_hot"
        )(inputs[fc.transformed_name(f.name)])
        for f in fc.FEATURES
        if f.is_categorical
    ]
    wide = tf.keras.layers.Concatenate(name="wide")(one_hots)
    deep = tf.keras.layers.Concatenate(name="deep_input")(numeric + [wide])
    for i, units in enumerate(params.hidden_units):
        deep = tf.keras.layers.Dense(units, activation="relu", name=f"deep_{i}")(deep)
    both = tf.keras.layers.Concatenate(name="wide_and_deep")([deep, wide])
    probability = tf.keras.layers.Dense(1, activation="sigmoid", name=fc.LABEL.name)(both)

    model = tf.keras.Model(inputs=inputs, outputs=probability, name="big_tipper")
    model.compile(
        optimizer=tf.keras.optimizers.Adam(params.learning_rate),
        loss=tf.keras.losses.BinaryCrossentropy(),
        metrics=[
            tf.keras.metrics.BinaryAccuracy(name="binary_accuracy"),
            tf.keras.metrics.AUC(name="auc"),
        ],
    )
    return model
