"""Runs the pipeline on this machine: LocalDagRunner, Beam DirectRunner, SQLite ML Metadata."""

from __future__ import annotations

from pathlib import Path

from tfx import v1 as tfx

from pipeline.config import PipelineConfig
from pipeline.factory import create_pipeline


def run_local(config: PipelineConfig) -> None:
    Path(config.output_dir).mkdir(parents=True, exist_ok=True)
    metadata = tfx.orchestration.metadata.sqlite_metadata_connection_config(config.metadata_path)
    tfx.orchestration.LocalDagRunner().run(create_pipeline(config, metadata))
