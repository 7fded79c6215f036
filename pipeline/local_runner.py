"""Runs the pipeline on this machine: LocalDagRunner, Beam DirectRunner, SQLite ML Metadata."""

from __future__ import annotations

from pathlib import Path

from tfx.orchestration import metadata as tfx_metadata
from tfx.orchestration.local.local_dag_runner import LocalDagRunner

from pipeline.config import PipelineConfig
from pipeline.factory import create_pipeline
from pipeline.progress import Progress


def run_local(config: PipelineConfig, progress: Progress | None = None) -> None:
    Path(config.output_dir).mkdir(parents=True, exist_ok=True)
    metadata = tfx_metadata.sqlite_metadata_connection_config(config.metadata_path)
    pipeline = create_pipeline(config, metadata)
    if progress is not None:
        progress.total = len(pipeline.components)
    LocalDagRunner().run(pipeline)
