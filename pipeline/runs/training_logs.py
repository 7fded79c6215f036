"""Reads the Trainer's TensorBoard scalars back: training curves for the report and tests."""

from __future__ import annotations

from pathlib import Path

Curves = dict[str, dict[str, list[tuple[int, float]]]]


def read_scalars(log_dir: str | Path) -> Curves:
    """{"train" | "validation": {tag: [(step, value), ...]}} from the event files under
    `log_dir/<split>/`, sorted by step; empty when there are none."""
    import tensorflow as tf

    curves: Curves = {}
    for split_dir in sorted(p for p in Path(log_dir).glob("*") if p.is_dir()):
        tags: dict[str, list[tuple[int, float]]] = {}
        for events in sorted(split_dir.glob("events.out.tfevents.*")):
            for event in tf.compat.v1.train.summary_iterator(str(events)):
                for value in event.summary.value:
                    if value.HasField("tensor") and not value.tensor.string_val:
                        number = float(tf.make_ndarray(value.tensor))
                    elif value.HasField("simple_value"):
                        number = value.simple_value
                    else:
                        continue
                    tags.setdefault(value.tag, []).append((event.step, number))
        if tags:
            curves[split_dir.name] = {t: sorted(points) for t, points in tags.items()}
    return curves
