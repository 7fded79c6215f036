"""The Trainer's `run_fn`: reads Transform's output, trains the model as `ModelParams` says
(model API, training loop, tf.distribute strategy) and exports it for serving
(`components/export.py`). Writes `training.json` beside the TensorBoard logs: how it trained,
on how many replicas and workers, and the final metrics."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile

import tensorflow as tf
import tensorflow_transform as tft
from tfx.components.trainer.fn_args_utils import FnArgs
from tfx_bsl.public import tfxio

from components import distribution
from components.contract import Contract
from components.export import export, export_saved_model
from components.features import CONTRACT
from components.hparams import CODE_VERSION, TRAINING_RECORD, ModelParams
from components.model import build_model
from components.training import train_with_fit, train_with_tape


def input_fn(
    file_pattern,
    data_accessor,
    tf_transform_output,
    batch_size: int,
    label_key: str,
    seed: int | None = None,
) -> tf.data.Dataset:
    """Repeating, shuffled batches of (transformed features, label) from Transform's output."""
    dataset = data_accessor.tf_dataset_factory(
        file_pattern,
        tfxio.TensorFlowDatasetOptions(
            batch_size=batch_size, label_key=label_key, shuffle_seed=seed
        ),
        tf_transform_output.transformed_metadata.schema,
    ).repeat()
    # Workers of a multi-worker run split the data by record: Transform may write fewer files
    # than there are workers.
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def _weights_digest(model: tf.keras.Model) -> str:
    digest = hashlib.sha256()
    for weight in model.weights:
        digest.update(weight.numpy().tobytes())
    return digest.hexdigest()


def _warm_start(model: tf.keras.Model, base_model: str | None) -> str | None:
    """Copies the weights of the exported `base_model` (the latest blessed one, `--warm-start`)
    into `model` when they have the same shapes; returns what was done, for the record. The
    export keeps the weights in the model's own order (`components/export.py`)."""
    if not base_model:
        return None
    weights = tf.saved_model.load(base_model).weights
    shapes = [tuple(w.shape) for w in weights]
    if shapes != [tuple(w.shape) for w in model.weights]:
        return f"not from {base_model}: its layers differ from this model's"
    for target, source in zip(model.weights, weights, strict=True):
        target.assign(source)
    return f"from {base_model}"


def run_fn(fn_args: FnArgs, contract: Contract = CONTRACT) -> None:
    """TFX's Trainer calls this with `fn_args` alone, so the default contract applies."""
    # The Tuner's best values (`run --tune`), when there is a Tuner, over the run's options.
    tuned = (fn_args.hyperparameters or {}).get("best", {})
    config = {k: v for k, v in (fn_args.custom_config or {}).items() if k != CODE_VERSION}
    params = ModelParams.from_dict({**config, **tuned})
    # Keras' per-epoch lines go to the log (absl) instead of the console the progress lines use.
    tf.keras.utils.disable_interactive_logging()
    tf.keras.utils.set_random_seed(params.seed)
    strategy = distribution.make_strategy(params.strategy)
    chief = distribution.is_chief(strategy)
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    train = input_fn(
        fn_args.train_files,
        fn_args.data_accessor,
        tf_transform_output,
        params.batch_size,
        contract.label.name,
        seed=params.seed,
    )
    evaluation = input_fn(
        fn_args.eval_files,
        fn_args.data_accessor,
        tf_transform_output,
        params.batch_size,
        contract.label.name,
    )
    # Other workers log beside the chief, each in its own directory.
    log_dir = fn_args.model_run_dir
    if not chief:
        log_dir = os.path.join(log_dir, f"worker-{strategy.cluster_resolver.task_id}")
    with strategy.scope():
        model = build_model(params, compile=params.training_loop == "fit", contract=contract)
        warm_start = _warm_start(model, fn_args.base_model)
    if params.training_loop == "custom":
        results = train_with_tape(
            model,
            contract.label,
            params,
            strategy,
            train,
            evaluation,
            fn_args.train_steps,
            fn_args.eval_steps,
            log_dir,
        )
    else:
        results = train_with_fit(
            model, train, evaluation, fn_args.train_steps, fn_args.eval_steps, log_dir
        )
    record = {
        **{k: getattr(params, k) for k in ("model_api", "training_loop", "strategy")},
        "learning_rate": params.learning_rate,
        "hidden_units": list(params.hidden_units),
        "batch_size": params.batch_size,
        "tuned": bool(tuned),
        "warm_start": warm_start,
        "replicas": strategy.num_replicas_in_sync,
        "workers": distribution.worker_count(strategy),
        "train_steps": fn_args.train_steps,
        "replica_divergence": distribution.replica_divergence(model, strategy),
        "weights_sha256": _weights_digest(model),
        "metrics": results,
    }
    tf.io.gfile.makedirs(log_dir)
    with tf.io.gfile.GFile(os.path.join(log_dir, TRAINING_RECORD), "w") as f:
        json.dump(record, f, indent=2)
    if chief:
        export(model, tf_transform_output, fn_args.serving_model_dir, contract)
    else:
        # Saving takes part in the workers' collective ops, so every worker saves; only the
        # chief's copy is kept.
        scratch = tempfile.mkdtemp(prefix="worker-export-")
        export_saved_model(model, tf_transform_output, scratch, contract)
        shutil.rmtree(scratch, ignore_errors=True)
