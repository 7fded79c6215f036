"""Runs the pipeline on this machine: LocalDagRunner, Beam as the config says (DirectRunner by
default), SQLite ML Metadata under the output directory. One run at a time per output directory;
one console line per component; the summary or one line of error at the end."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from pipeline.config import PipelineConfig
from pipeline.errors import RunLockedError
from pipeline.options import tf_environment

# Replicas MirroredStrategy gets on a machine without GPUs (logical devices on the one CPU).
MIRRORED_CPU_REPLICAS = 2


def run_local(config: PipelineConfig, progress=None) -> None:
    from tfx.orchestration import metadata as tfx_metadata
    from tfx.orchestration.local.local_dag_runner import LocalDagRunner

    from pipeline.factory import create_pipeline

    Path(config.output_dir).mkdir(parents=True, exist_ok=True)
    metadata = tfx_metadata.sqlite_metadata_connection_config(config.metadata_path)
    pipeline = create_pipeline(config, metadata)
    if progress is not None:
        progress.total = len(pipeline.components)
    LocalDagRunner().run(pipeline)


def execute(config: PipelineConfig, verbose: bool) -> int:
    """Runs under the output directory's lock; returns the exit code: 0 done, 1 failed, 3 another
    run holds the lock, 130 interrupted (Ctrl-C)."""
    from components.serving_dir import served_versions
    from pipeline.local.run_lock import run_lock

    served = served_versions(Path(config.serving_dir))
    try:
        with run_lock(Path(config.output_dir)):
            return _execute_locked(config, verbose)
    except RunLockedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        # The lock is released and the store holds what finished; the next run reuses it.
        new = [v for v in served_versions(Path(config.serving_dir)) if v not in served]
        pushed = f"version {new[-1].name} was pushed before it" if new else "nothing was pushed"
        print(f"interrupted; {pushed}", file=sys.stderr)
        return 130


def _remember_interrupts(progress) -> None:
    """Ctrl-C raises KeyboardInterrupt as usual and is also remembered, for `progress`."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def interrupted(signum, frame):
        progress.interrupted = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupted)


def _execute_locked(config: PipelineConfig, verbose: bool) -> int:
    tf_environment()
    if config.model.strategy == "mirrored":
        from components.distribution import split_cpu

        # Must happen before any component initialises TensorFlow's devices.
        split_cpu(MIRRORED_CPU_REPLICAS)
    from pipeline.local.progress import Progress
    from pipeline.logs import log_to_file, native_stderr_to

    log_file = log_to_file(Path(config.log_dir), verbose)
    print(
        f"Running pipeline {config.pipeline_name}: data {config.data_dir}, "
        f"output {config.output_dir}",
        flush=True,
    )
    print(f"Logs: {log_file}", flush=True)
    from pipeline.local.spans import no_new_span

    if nothing_new := no_new_span(config):
        print(nothing_new)
        return 0
    from pipeline.local.unchanged import record_run_key, run_key, unchanged_since

    key = run_key(config)
    if nothing_changed := unchanged_since(config, key):
        from pipeline.runs.summary import describe_run

        print(nothing_changed)
        print(describe_run(config)[0])
        return 0
    progress = Progress(config.metadata_path, total=0)
    logging.getLogger().addHandler(progress)
    _remember_interrupts(progress)
    failure = None
    with native_stderr_to(log_file, enabled=not verbose):
        from pipeline.runs.summary import describe_failure, describe_run

        try:
            run_local(config, progress)
        except KeyboardInterrupt:
            logging.getLogger(__name__).warning("interrupted by the user (Ctrl-C)")
            progress.failed("interrupted")
            raise
        except Exception as exc:
            logging.getLogger(__name__).exception("pipeline failed")
            progress.failed()
            failure = describe_failure(config, exc, str(log_file))
        if failure is None:
            try:
                message, ok = describe_run(config)
                if ok:
                    record_run_key(config, key)
            except Exception as exc:
                logging.getLogger(__name__).exception("summary failed")
                message = f"The run finished, but its summary failed: {exc}; see {log_file}"
                ok = False
    if failure is not None:
        print(failure, file=sys.stderr)
        return 1
    print(message)
    return 0 if ok else 1
