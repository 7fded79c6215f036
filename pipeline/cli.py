"""Command line: `python -m pipeline {run,report,inspect,schema}` (also installed as
`taxi-pipeline`). Exit codes: 0 done, 1 the run failed or its model was not blessed, 2 bad input
or arguments, 3 another run holds the output directory."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from components.hparams import MODEL_APIS, STRATEGIES, TRAINING_LOOPS, ModelParams
from pipeline.config import (
    DEFAULT_DATA_DIR,
    DEFAULT_OUTPUT_DIR,
    ConfigError,
    InputError,
    PipelineConfig,
    Thresholds,
    direct_beam,
    local_config,
)
from pipeline.logs import quiet_libraries

# Replicas MirroredStrategy gets on a machine without GPUs (logical devices on the one CPU).
MIRRORED_CPU_REPLICAS = 2

EXAMPLES = """examples:
  python -m pipeline run                                   # bundled taxi sample -> outputs/
  python -m pipeline run --data data/ --output /tmp/taxi   # choose where everything is written
  python -m pipeline run --train-steps 200 --eval-steps 50 # a quick run
  python -m pipeline run --model-api subclassed --training-loop custom --strategy mirrored
  python -m pipeline report --output outputs/              # HTML page of the latest run
  python -m pipeline inspect --output outputs/             # runs, models, what is serving and why
  python -m pipeline schema --data my_csvs/ --label species --out my_schema/
"""


def _tf_environment() -> None:
    # Before TensorFlow loads: TFX 1.16 needs Keras 2 (tf_keras) behind tf.keras.
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    # TF's C++ start-up chatter (CUDA plugin registration on a CPU machine) is noise here.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _add_output(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT_DIR, help=help_text)


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """The Trainer's model API, training loop and tf.distribute strategy (also on `compile`)."""
    parser.add_argument(
        "--model-api",
        choices=MODEL_APIS,
        default=ModelParams.model_api,
        help="tf.keras Functional model or a tf.keras.Model subclass (default: %(default)s)",
    )
    parser.add_argument(
        "--training-loop",
        choices=TRAINING_LOOPS,
        default=ModelParams.training_loop,
        help="Keras fit, or a custom tf.GradientTape loop in tf.function (default: %(default)s)",
    )
    parser.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default=ModelParams.strategy,
        help="tf.distribute strategy; mirrored splits the CPU into two replicas when there is "
        "no GPU; multi-worker reads TF_CONFIG (default: %(default)s)",
    )


def model_params(args: argparse.Namespace) -> ModelParams:
    return ModelParams(
        model_api=args.model_api, training_loop=args.training_loop, strategy=args.strategy
    )


def _run_parser(sub) -> None:
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
    _add_output(run, "everything the run writes goes here; pushed models in OUTPUT/serving/")
    run.add_argument("--train-steps", type=int, default=PipelineConfig.train_steps)
    run.add_argument("--eval-steps", type=int, default=PipelineConfig.eval_steps)
    run.add_argument(
        "--min-auc",
        type=float,
        default=Thresholds.min_auc,
        help="AUC on the eval split a model needs to be blessed",
    )
    add_model_options(run)
    run.add_argument(
        "--beam-workers",
        type=int,
        default=1,
        help="1: Beam runs in this process (in-memory); N > 1: Beam's multi-processing mode "
        "with N worker processes (default: %(default)s)",
    )
    run.add_argument("--no-cache", action="store_true", help="re-run every component")
    run.add_argument("--verbose", action="store_true", help="also show TFX/Beam logs live")


def run_command(data: Path, output: Path, *options: str) -> list[str]:
    """`python -m pipeline run` as a subprocess argv, for the benchmark and the tests."""
    return [
        sys.executable,
        "-m",
        "pipeline",
        "run",
        "--data",
        str(data),
        "--output",
        str(output),
        *options,
    ]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="The TFX taxi pipeline: validate data, transform, train, evaluate, push.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _run_parser(sub)

    report = sub.add_parser(
        "report",
        help="write a self-contained HTML page about a run",
        epilog="example:\n  python -m pipeline report --output outputs/ --run 2026-11-22T07:26:50",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_output(report, "the output directory of the runs")
    report.add_argument("--run", help="run id (see `inspect`); default: the latest run")
    report.add_argument("--to", type=Path, help="HTML file to write (default: OUTPUT/reports/)")

    inspect = sub.add_parser(
        "inspect",
        help="runs, models, blessings and pushes, from ML Metadata",
        epilog="examples:\n  python -m pipeline inspect --output outputs/\n"
        "  python -m pipeline inspect --output outputs/ --json | jq .serving",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_output(inspect, "the output directory of the runs")
    inspect.add_argument("--json", action="store_true", help="machine-readable output")

    schema = sub.add_parser(
        "schema",
        help="draft a schema.pbtxt and feature contract from a new CSV",
        epilog="example:\n  python -m pipeline schema --data my_csvs/ --label species "
        "--out my_schema/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    schema.add_argument("--data", type=Path, required=True, help="directory of CSV files")
    schema.add_argument("--label", required=True, help="the column the model predicts")
    schema.add_argument(
        "--out", type=Path, default=Path("schema-draft"), help="where the drafts are written"
    )
    return parser


def _config(args: argparse.Namespace) -> PipelineConfig:
    return local_config(
        data_dir=args.data,
        output_dir=args.output,
        train_steps=args.train_steps,
        eval_steps=args.eval_steps,
        enable_cache=not args.no_cache,
        thresholds=Thresholds(min_auc=args.min_auc),
        model=model_params(args),
        beam=direct_beam(args.beam_workers),
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
    _tf_environment()
    if config.model.strategy == "mirrored":
        from components.distribution import split_cpu

        # Must happen before any component initialises TensorFlow's devices.
        split_cpu(MIRRORED_CPU_REPLICAS)
    from pipeline.logs import log_to_file, native_stderr_to
    from pipeline.progress import Progress

    log_file = log_to_file(Path(config.log_dir), verbose)
    print(
        f"Running pipeline {config.pipeline_name}: data {config.data_dir}, "
        f"output {config.output_dir}",
        flush=True,
    )
    print(f"Logs: {log_file}", flush=True)
    progress = Progress(config.metadata_path, total=0)
    logging.getLogger().addHandler(progress)
    failure = None
    with native_stderr_to(log_file, enabled=not verbose):
        from pipeline.local_runner import run_local
        from pipeline.summary import describe_failure, describe_run

        try:
            run_local(config, progress)
        except Exception as exc:  # noqa: BLE001 - any failure becomes one line; the log has more
            logging.getLogger(__name__).exception("pipeline failed")
            progress.failed()
            failure = describe_failure(config, exc)
        if failure is None:
            try:
                message, ok = describe_run(config)
            except Exception as exc:  # noqa: BLE001 - the run is recorded; only the summary failed
                logging.getLogger(__name__).exception("summary failed")
                message = f"The run finished, but its summary failed: {exc}; see {log_file}"
                ok = False
    if failure is not None:
        print(failure, file=sys.stderr)
        return 1
    print(message)
    return 0 if ok else 1


def _report(args: argparse.Namespace) -> str:
    from pipeline.report import write_report

    return f"Report: {write_report(args.output.expanduser().absolute(), args.run, args.to)}"


def _inspect(args: argparse.Namespace) -> str:
    from pipeline.inspection import inspect_as_json, inspect_as_text

    output = args.output.expanduser().absolute()
    return inspect_as_json(output) if args.json else inspect_as_text(output)


def _schema(args: argparse.Namespace) -> str:
    from pipeline.draft_schema import draft

    written = draft(args.data.expanduser().absolute(), args.label, args.out)
    return "\n".join(
        [f"Wrote {path}" for path in written]
        + ["Next: curate both files (see the README's 'Use your own data')."]
    )


READ_ONLY_COMMANDS = {"report": _report, "inspect": _inspect, "schema": _schema}


def _read_only(command, args: argparse.Namespace) -> int:
    """The commands that read runs or data and write files, without running the pipeline."""
    _tf_environment()
    quiet_libraries()
    try:
        print(command(args))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in READ_ONLY_COMMANDS:
        return _read_only(READ_ONLY_COMMANDS[args.command], args)
    try:
        config = _config(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return _run(config, args.verbose)
