"""Two ways to train the model under a tf.distribute strategy: Keras `fit`, or a custom loop with
`tf.GradientTape` inside `tf.function`. Both use the same optimizer and metrics and write the same
TensorBoard scalars (batch_* every few steps in train/, epoch_* at the end in train/ and
validation/), so TensorBoard and the run report read either the same way."""

from __future__ import annotations

import os

import tensorflow as tf

from components.contract import Label
from components.hparams import ModelParams
from components.model import loss, metrics, optimizer

# Batch-level points per run in TensorBoard: enough for a training curve, few enough to be cheap.
CURVE_POINTS = 20


def log_every(train_steps: int) -> int:
    return max(1, train_steps // CURVE_POINTS)


def without_autograph(model: tf.keras.Model) -> None:
    """Makes Keras trace its train and test steps without AutoGraph.

    Nothing in these steps needs AutoGraph (no data-dependent Python control flow), yet with it
    tracing the step of this model takes ~7 s and without it 0.3 s (measured on 2 cores, tf_keras
    2.16): AutoGraph rewrites the source of every layer and metric it meets. Keras reuses a step
    function it finds already set, so the same Python functions are wrapped again here."""
    for make, attribute in (
        (model.make_train_function, "train_function"),
        (model.make_test_function, "test_function"),
    ):
        keras_made = make(force=True)
        plain = tf.function(keras_made.python_function, reduce_retracing=True, autograph=False)
        setattr(model, attribute, plain)
    # TensorBoard draws the train graph from this one.
    model.train_tf_function = model.train_function


def train_with_fit(model, train, evaluation, train_steps, eval_steps, log_dir) -> dict[str, float]:
    without_autograph(model)
    history = model.fit(
        train,
        steps_per_epoch=train_steps,
        validation_data=evaluation,
        validation_steps=eval_steps,
        callbacks=[
            # tf_keras calls the batch hooks that write batch_* scalars only when it also
            # measures steps per second.
            tf.keras.callbacks.TensorBoard(
                log_dir=log_dir, update_freq=log_every(train_steps), write_steps_per_second=True
            )
        ],
        verbose=2,
    )
    return {name: float(values[-1]) for name, values in history.history.items()}


def _tracked(strategy, label: Label) -> list[tf.keras.metrics.Metric]:
    with strategy.scope():
        return [tf.keras.metrics.Mean(name="loss"), *metrics(label)]


def _write(writer, prefix: str, tracked, step: int) -> None:
    with writer.as_default(step=step):
        for metric in tracked:
            tf.summary.scalar(prefix + metric.name, metric.result())
    writer.flush()


def train_with_tape(
    model,
    label: Label,
    params: ModelParams,
    strategy: tf.distribute.Strategy,
    train: tf.data.Dataset,
    evaluation: tf.data.Dataset,
    train_steps: int,
    eval_steps: int,
    log_dir: str,
) -> dict[str, float]:
    """Trains `model` (built in `strategy.scope()`) for `train_steps` batches of
    `params.batch_size` (the global batch, split across replicas), then evaluates it."""
    with strategy.scope():
        adam = optimizer(params)
    train_metrics, eval_metrics = _tracked(strategy, label), _tracked(strategy, label)
    per_example_loss = loss(label, reduction=tf.keras.losses.Reduction.NONE)

    def update(tracked, labels, probabilities, losses):
        tracked[0].update_state(losses)
        for metric in tracked[1:]:
            metric.update_state(labels, probabilities)

    def train_step(features, labels):
        labels = tf.cast(labels, tf.float32)
        with tf.GradientTape() as tape:
            probabilities = model(features, training=True)
            losses = per_example_loss(labels, probabilities)
            # Scaled by the global batch: the replicas' gradients are summed when applied.
            loss = tf.nn.compute_average_loss(losses, global_batch_size=params.batch_size)
        gradients = tape.gradient(loss, model.trainable_variables)
        adam.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        update(train_metrics, labels, probabilities, losses)

    def eval_step(features, labels):
        labels = tf.cast(labels, tf.float32)
        probabilities = model(features, training=False)
        update(eval_metrics, labels, probabilities, per_example_loss(labels, probabilities))

    # One traced loop per step function; the step count is a tensor so it does not retrace.
    # Written as a while_loop so that it traces without AutoGraph (see `without_autograph`).
    @tf.function(autograph=False)
    def repeat(step_fn, iterator, steps):
        def body(i):
            strategy.run(step_fn, args=next(iterator))
            return (i + 1,)

        tf.while_loop(lambda i: i < steps, body, (tf.constant(0),))

    writers = {
        split: tf.summary.create_file_writer(os.path.join(log_dir, split))
        for split in ("train", "validation")
    }
    batches = iter(strategy.experimental_distribute_dataset(train))
    done, every = 0, log_every(train_steps)
    while done < train_steps:
        chunk = min(every, train_steps - done)
        repeat(train_step, batches, tf.constant(chunk))
        done += chunk
        _write(writers["train"], "batch_", train_metrics, done)
    repeat(
        eval_step,
        iter(strategy.experimental_distribute_dataset(evaluation)),
        tf.constant(eval_steps),
    )
    _write(writers["train"], "epoch_", train_metrics, 0)
    _write(writers["validation"], "epoch_", eval_metrics, 0)
    results = {m.name: float(m.result()) for m in train_metrics}
    results.update({f"val_{m.name}": float(m.result()) for m in eval_metrics})
    return results
