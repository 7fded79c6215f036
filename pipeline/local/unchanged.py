"""A re-run with nothing changed is answered from ML Metadata before TFX or TensorFlow start.

TFX would reuse every component but one: the Evaluator's baseline (the latest blessed model) is
the model the first run blessed, so it evaluates that model against itself, and start-up alone
imports TensorFlow and TFX. Instead, the run is skipped when the newest run in the store
- finished with no failed component,
- ran with the same settings, schema file and code (a digest recorded on its run context when it
  finished), and
- read data files TFX fingerprints (count, sizes, modification times) as it recorded then,
and its outputs are still on disk. Any difference, `--no-cache`, span folders and `--predict-data`
(whose files are not fingerprinted) run the pipeline as usual.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

from pipeline import nodes
from pipeline.code_version import package_root
from pipeline.config import PipelineConfig

RUN_KEY = "template_run_key"  # custom property of TFX's pipeline_run context


def run_key(config: PipelineConfig) -> str:
    """Digest of everything but the data that decides what a run computes."""
    from importlib.metadata import version

    settings = dataclasses.asdict(config)
    settings["schema_bytes"] = hashlib.sha256(Path(config.schema_file).read_bytes()).hexdigest()
    settings["libraries"] = {p: version(p) for p in ("tfx", "tensorflow", "apache-beam")}
    # The DAG's own definition (factory, evaluation config), not only the components' code.
    root = package_root()
    settings["sources"] = {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for package in ("pipeline", "components")
        for path in sorted((root / package).rglob("*.py"))
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()


def data_fingerprint(config: PipelineConfig) -> str:
    """TFX's fingerprint of the files ExampleGen reads (`input_fingerprint` on its output), by
    the function its driver calls per split; `tfx.components.example_gen.utils`, which joins the
    splits' fingerprints, would import every TFX component first (~9 s)."""
    from tfx.utils import io_utils

    from components.csv_files import INPUT_SPLIT, SPLIT_PATTERN

    return io_utils.generate_fingerprint(INPUT_SPLIT, os.path.join(config.data_dir, SPLIT_PATTERN))


def record_run_key(config: PipelineConfig, key: str) -> None:
    """Marks the newest run as computed with `key`: `run_key(config)` taken before it started, so
    that code or a schema edited while it ran does not pass for what it ran."""
    from ml_metadata import metadata_store
    from ml_metadata.proto import metadata_store_pb2

    from pipeline.runs.records import RUN_CONTEXT

    connection = metadata_store_pb2.ConnectionConfig()
    connection.sqlite.filename_uri = str(config.metadata_path)
    store = metadata_store.MetadataStore(connection)
    runs = store.get_contexts_by_type(RUN_CONTEXT)
    if not runs:
        return
    context = max(runs, key=lambda c: (c.create_time_since_epoch, c.id))
    context.custom_properties[RUN_KEY].string_value = key
    store.put_contexts([context])


def unchanged_since(config: PipelineConfig, key: str) -> str | None:
    """The message to print instead of running, or None when the pipeline must run; `key` is
    `run_key(config)`."""
    if (
        not config.enable_cache
        or config.spans
        or config.predict_data_dir
        or not config.metadata_path
        or not Path(config.metadata_path).is_file()
    ):
        return None
    from pipeline.runs.records import RUN_CONTEXT, latest_run, open_store

    run = latest_run(config.metadata_path)
    if run is None or run.failed_nodes() or "RUNNING" in run.states.values():
        return None
    context = open_store(config.metadata_path).get_context_by_type_and_name(RUN_CONTEXT, run.run_id)
    recorded = context.custom_properties.get(RUN_KEY) if context else None
    if recorded is None or recorded.string_value != key:
        return None
    example_gen = run.nodes.get(nodes.EXAMPLE_GEN)
    examples = example_gen.output("Examples") if example_gen else None
    if examples is None or examples.properties.get("input_fingerprint") != data_fingerprint(config):
        return None
    outputs = [a.uri for node in run.nodes.values() for arts in node.outputs.values() for a in arts]
    if run.pushed_to:
        outputs.append(run.pushed_to)
    if not all(os.path.exists(uri) for uri in outputs):
        return None
    reused = ", ".join(run.nodes)
    return (
        f"Nothing changed since run {run.run_id}: the same data files, schema, settings and "
        f"code. All {len(run.nodes)} components reused, none ran: {reused}."
    )
