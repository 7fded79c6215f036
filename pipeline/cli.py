"""Command line: `python -m pipeline run --data DIR --output DIR`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pipeline.config import (
    DEFAULT_DATA_DIR,
    DEFAULT_OUTPUT_DIR,
    ConfigError,
    PipelineConfig,
    Thresholds,
    local_config,
)

EXAMPLES = """examples:
  python -m pipeline run                                   # bundled taxi sample -> outputs/
  python -m pipeline run --data data/ --output /tmp/taxi   # choose where everything is written
  python -m pipeline run --train-steps 200 --eval-steps 50 # a quick run
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="The TFX taxi pipeline: validate data, transform, train, evaluate, push.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run",
        help="run the pipeline locally",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="directory of CSV files (default: the bundled taxi sample)",
    )
    run.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT_DIR,
        help="everything the run writes goes here; pushed models in OUTPUT/serving/",
    )
    run.add_argument("--train-steps", type=int, default=PipelineConfig.train_steps)
    run.add_argument("--eval-steps", type=int, default=PipelineConfig.eval_steps)
    run.add_argument(
        "--min-auc",
        type=float,
        default=Thresholds.min_auc,
        help="AUC on the eval split a model needs to be blessed",
    )
    run.add_argument("--no-cache", action="store_true", help="re-run every component")
    run.add_argument("--verbose", action="store_true", help="also show TFX/Beam logs live")
    return parser


def _config(args: argparse.Namespace) -> PipelineConfig:
    return local_config(
        data_dir=args.data,
        output_dir=args.output,
        train_steps=args.train_steps,
        eval_steps=args.eval_steps,
        enable_cache=not args.no_cache,
        thresholds=Thresholds(min_auc=args.min_auc),
    ).validate()


def _run(config: PipelineConfig, verbose: bool) -> int:
    from pipeline.run_lock import RunLockedError, run_lock

    try:
        with run_lock(Path(config.output_dir)):
            return _run_locked(config, verbose)
    except RunLockedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3


def _run_locked(config: PipelineConfig, verbose: bool) -> int:
    # Before TensorFlow loads: TFX 1.16 needs Keras 2 (tf_keras) behind tf.keras.
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    # TF's C++ start-up chatter (CUDA plugin registration on a CPU machine) is noise here.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from pipeline.logs import log_to_file, native_stderr_to

    log_file = log_to_file(Path(config.log_dir), verbose)
    print(
        f"Running pipeline {config.pipeline_name}: data {config.data_dir}, "
        f"output {config.output_dir}",
        flush=True,
    )
    print(f"Logs: {log_file}", flush=True)
    failure = None
    with native_stderr_to(log_file, enabled=not verbose):
        from pipeline.local_runner import run_local
        from pipeline.summary import describe_failure, describe_run

        try:
            run_local(config)
        except Exception as exc:  # noqa: BLE001 - any failure becomes one line; the log has more
            import logging

            logging.getLogger(__name__).exception("pipeline failed")
            failure = describe_failure(config, exc)
        if failure is None:
            message, ok = describe_run(config)
    if failure is not None:
        print(failure, file=sys.stderr)
        return 1
    print(message)
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = _config(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return _run(config, args.verbose)
