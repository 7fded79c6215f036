"""The Trainer's `run_fn`: reads Transform's output, trains the model, exports it for serving.

The exported SavedModel carries two signatures:
- `serving_default`: a batch of serialized raw tf.Examples (input `examples`, no label needed)
  -> `{"big_tipper_probability": [batch, 1]}`, the Transform graph applied inside. TF Serving
  calls this.
- `transform_features`: serialized raw tf.Examples -> transformed features including the label;
  the Evaluator (TFMA) uses it to get labels and slices.
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_transform as tft
from tfx import v1 as tfx
from tfx_bsl.public import tfxio

from components import features as fc
from components.hparams import ModelParams
from components.model import build_model, input_names

PREDICTION_KEY = "big_tipper_probability"
SERVING_INPUT = "examples"


def input_fn(
    file_pattern, data_accessor, tf_transform_output, batch_size: int, seed: int | None = None
) -> tf.data.Dataset:
    """Repeating, shuffled batches of (transformed features, label) from Transform's output."""
    return data_accessor.tf_dataset_factory(
        file_pattern,
        tfxio.TensorFlowDatasetOptions(
            batch_size=batch_size, label_key=fc.LABEL.name, shuffle_seed=seed
        ),
        tf_transform_output.transformed_metadata.schema,
    ).repeat()


def serving_signatures(model: tf.keras.Model, tf_transform_output: tft.TFTransformOutput) -> dict:
    # Assigned as an attribute so the Transform graph's assets and variables are saved with it.
    model.tft_layer = tf_transform_output.transform_features_layer()
    raw_spec = tf_transform_output.raw_feature_spec()
    serving_spec = {k: v for k, v in raw_spec.items() if k in fc.serving_columns()}
    names = input_names()
    examples = tf.TensorSpec(shape=[None], dtype=tf.string, name=SERVING_INPUT)

    @tf.function(input_signature=[examples])
    def serve(examples):
        raw = tf.io.parse_example(examples, serving_spec)
        transformed = model.tft_layer(raw)
        return {PREDICTION_KEY: model({k: transformed[k] for k in names})}

    @tf.function(input_signature=[examples])
    def transform_features(examples):
        return model.tft_layer(tf.io.parse_example(examples, raw_spec))

    return {
        "serving_default": serve.get_concrete_function(),
        "transform_features": transform_features.get_concrete_function(),
    }


def export(model: tf.keras.Model, tf_transform_output, export_dir: str) -> None:
    signatures = serving_signatures(model, tf_transform_output)
    tf.saved_model.save(model, export_dir, signatures=signatures)


def run_fn(fn_args: tfx.components.FnArgs) -> None:
    params = ModelParams.from_dict(fn_args.custom_config or {})
    tf.keras.utils.set_random_seed(params.seed)
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    train = input_fn(
        fn_args.train_files,
        fn_args.data_accessor,
        tf_transform_output,
        params.batch_size,
        seed=params.seed,
    )
    evaluation = input_fn(
        fn_args.eval_files, fn_args.data_accessor, tf_transform_output, params.batch_size
    )
    model = build_model(params)
    model.fit(
        train,
        steps_per_epoch=fn_args.train_steps,
        validation_data=evaluation,
        validation_steps=fn_args.eval_steps,
        callbacks=[tf.keras.callbacks.TensorBoard(log_dir=fn_args.model_run_dir)],
        verbose=2,
    )
    export(model, tf_transform_output, fn_args.serving_model_dir)
