"""tf.distribute strategies for the Trainer, chosen by name (`ModelParams.strategy`)."""

from __future__ import annotations

import tensorflow as tf


def split_cpu(replicas: int) -> bool:
    """Splits the CPU into `replicas` logical devices so MirroredStrategy has replicas to keep in
    sync on a machine without GPUs. Only possible before TensorFlow initialises its devices;
    returns whether the split is in place."""
    if tf.config.list_physical_devices("GPU"):
        return False
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(replicas)]
        )
    except RuntimeError:  # devices already initialised by an earlier component in this process
        return len(tf.config.list_logical_devices("CPU")) >= replicas
    return True


def _mirrored_devices() -> list[str]:
    gpus = tf.config.list_logical_devices("GPU")
    return [d.name for d in (gpus or tf.config.list_logical_devices("CPU"))]


def make_strategy(name: str) -> tf.distribute.Strategy:
    if name == "mirrored":
        return tf.distribute.MirroredStrategy(devices=_mirrored_devices())
    if name == "multi-worker":
        # Reads the cluster and this worker's place in it from TF_CONFIG; without TF_CONFIG it
        # is a cluster of one.
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def _cluster(strategy: tf.distribute.Strategy) -> dict:
    resolver = strategy.cluster_resolver
    return resolver.cluster_spec().as_dict() if resolver is not None else {}


def worker_count(strategy: tf.distribute.Strategy) -> int:
    cluster = _cluster(strategy)
    return max(1, len(cluster.get("worker", [])) + len(cluster.get("chief", [])))


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this process writes the model. Every worker of a multi-worker run must save (the
    save takes part in collective ops), but only the chief's copy is the model."""
    cluster = _cluster(strategy)
    if not cluster:
        return True
    task_type, task_id = strategy.cluster_resolver.task_type, strategy.cluster_resolver.task_id
    if "chief" in cluster:
        return task_type == "chief"
    return task_type == "worker" and task_id == 0


def replica_divergence(model: tf.keras.Model, strategy: tf.distribute.Strategy) -> float:
    """Largest absolute difference between the replicas' copies of any weight: 0.0 when they
    stayed in sync (always 0.0 with a single replica)."""
    worst = 0.0
    for weight in model.trainable_weights:
        copies = [v.numpy() for v in strategy.experimental_local_results(weight)]
        for other in copies[1:]:
            worst = max(worst, float(abs(other - copies[0]).max()))
    return worst
