"""Continuous training's no-op: a run whose newest span was already read, unchanged, by a run
that finished has nothing to learn. Decided before the pipeline starts, from the fingerprint TFX
records on ExampleGen's output (file count, sizes and modification times of the span's files),
so that a warm-started Trainer does not retrain from its own newer baseline."""

from __future__ import annotations

from pipeline import nodes
from pipeline.config import PipelineConfig


def _newest_span(config: PipelineConfig) -> tuple[int, str]:
    """(span number, TFX's fingerprint of its files), as ExampleGen's driver will compute them."""
    from tfx.components.example_gen import utils
    from tfx.proto import example_gen_pb2

    from components.csv_files import INPUT_SPLIT, SPAN_FOLDER, SPLIT_PATTERN

    split = example_gen_pb2.Input.Split(name=INPUT_SPLIT, pattern=f"{SPAN_FOLDER}/{SPLIT_PATTERN}")
    fingerprint, span, _ = utils.calculate_splits_fingerprint_span_and_version(
        config.data_dir, [split]
    )
    return span, fingerprint


def no_new_span(config: PipelineConfig) -> str | None:
    """The message to print instead of running, or None when there is something new to read."""
    from pipeline.runs.records import all_runs

    if not config.spans or not config.metadata_path:
        return None
    span, fingerprint = _newest_span(config)
    for run in reversed(all_runs(config.metadata_path)):
        node = run.nodes.get(nodes.EXAMPLE_GEN)
        examples = node.output("Examples") if node else None
        if (
            examples is not None
            and not run.failed_nodes()
            and examples.properties.get("span") == span
            and examples.properties.get("input_fingerprint") == fingerprint
        ):
            return (
                f"No new span: span {span} (the same files) was read by run {run.run_id}; "
                "nothing to train or push. Add span-<N> with N > "
                f"{span} to {config.data_dir} and run again."
            )
    return None
