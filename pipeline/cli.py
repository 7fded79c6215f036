"""Command line: `python -m pipeline {run,report,inspect,predict,schema}` (also installed as
`taxi-pipeline`).

Exit codes: 0 done (also when the model was not blessed: the run did its job, and the summary
says why nothing was pushed), 1 the run failed, 2 bad input or arguments, 3 another run holds
the output directory, 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.config import PipelineConfig, Thresholds, default_output_dir, local_config
from pipeline.errors import ConfigError, InputError
from pipeline.options import (
    add_beam_options,
    add_model_options,
    beam_config,
    model_params,
    tf_environment,
)

EXAMPLES = """examples:
  python -m pipeline run                                   # bundled taxi sample -> outputs/
  python -m pipeline run --data data/ --output /tmp/taxi   # choose where everything is written
  python -m pipeline run --train-steps 200 --eval-steps 50 # a quick run
  python -m pipeline run --model-api subclassed --training-loop custom --strategy mirrored
  python -m pipeline run --tune 8                          # 8 tuning trials before training
  python -m pipeline report --output outputs/              # HTML page of the latest run
  python -m pipeline inspect --output outputs/             # runs, models, what is serving and why
  python -m pipeline schema --data my_csvs/ --label species --out my_schema/
  python -m pipeline predict --data new_trips/ --output scores.csv  # newest pushed model
"""


def _add_output(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--output", type=Path, default=None, help=help_text)


def _run_parser(sub) -> None:
    run = sub.add_parser(
        "run",
        help="run the pipeline locally",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--data", type=Path, help="directory of CSV files (default: the bundled taxi sample)"
    )
    run.add_argument(
        "--schema", type=Path, help="schema.pbtxt of the data (default: schema/schema.pbtxt)"
    )
    _add_output(
        run,
        "everything the run writes goes here; pushed models in OUTPUT/serving/ (default: outputs/)",
    )
    run.add_argument("--train-steps", type=int, default=PipelineConfig.train_steps)
    run.add_argument("--eval-steps", type=int, default=PipelineConfig.eval_steps)
    run.add_argument(
        "--min-auc",
        type=float,
        default=Thresholds.min_auc,
        help="AUC on the eval split a model needs to be blessed",
    )
    run.add_argument(
        "--max-latency-ms",
        type=float,
        default=Thresholds.max_latency_ms,
        help="99th-percentile latency of one serving request a model may take to be pushed "
        "(default: %(default)s)",
    )
    run.add_argument(
        "--tune",
        type=int,
        nargs="?",
        const=8,
        default=0,
        metavar="TRIALS",
        help="search learning rate, layer sizes and batch size first: TRIALS seeded trials of "
        "--train-steps each (default when given: %(const)s)",
    )
    run.add_argument(
        "--predict-data",
        type=Path,
        help="after the push, score this directory's CSV files with the pushed model "
        "(as `predict` does; the scores CSV is an artifact of the run)",
    )
    run.add_argument(
        "--predict-keys", default="", help="with --predict-data: columns copied beside the scores"
    )
    run.add_argument(
        "--window",
        type=int,
        default=PipelineConfig.window,
        help="with span-<N> folders in --data: train on the newest this many spans "
        "(default: %(default)s)",
    )
    run.add_argument(
        "--warm-start",
        action="store_true",
        help="start training from the weights of the latest blessed model",
    )
    add_model_options(run)
    add_beam_options(run)
    run.add_argument("--no-cache", action="store_true", help="re-run every component")
    run.add_argument("--verbose", action="store_true", help="also show TFX/Beam logs live")


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
    _add_output(report, "the output directory of the runs (default: outputs/)")
    report.add_argument("--run", help="run id (see `inspect`); default: the latest run")
    report.add_argument("--to", type=Path, help="HTML file to write (default: OUTPUT/reports/)")

    inspect = sub.add_parser(
        "inspect",
        help="runs, models, blessings and pushes, from ML Metadata",
        epilog="examples:\n  python -m pipeline inspect --output outputs/\n"
        "  python -m pipeline inspect --output outputs/ --json | jq .serving",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_output(inspect, "the output directory of the runs (default: outputs/)")
    inspect.add_argument("--json", action="store_true", help="machine-readable output")

    predict = sub.add_parser(
        "predict",
        help="score CSV files with a pushed model (a Beam job), one output line per row",
        epilog="examples:\n  python -m pipeline predict --data new_trips/ --output scores.csv\n"
        "  python -m pipeline predict --data new_trips/ --output scores.csv --version 1795336603"
        " --keys trip_start_timestamp",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    predict.add_argument("--data", type=Path, required=True, help="directory of CSV files")
    predict.add_argument("--output", type=Path, required=True, help="CSV file to write")
    predict.add_argument(
        "--pipeline-output",
        type=Path,
        default=None,
        help="the pipeline's output directory; its serving/ holds the models (default: outputs/)",
    )
    predict.add_argument("--version", help="model version to use (default: the newest)")
    predict.add_argument(
        "--keys",
        default="",
        help="comma-separated columns copied into each output line beside file and row",
    )
    add_beam_options(predict)

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
        schema_file=args.schema,
        train_steps=args.train_steps,
        eval_steps=args.eval_steps,
        tune_trials=args.tune,
        window=args.window,
        warm_start=args.warm_start,
        predict_data_dir=str(args.predict_data.expanduser().absolute())
        if args.predict_data
        else None,
        predict_keys=tuple(k.strip() for k in args.predict_keys.split(",") if k.strip()),
        enable_cache=not args.no_cache,
        thresholds=Thresholds(min_auc=args.min_auc, max_latency_ms=args.max_latency_ms),
        model=model_params(args),
        beam=beam_config(args, local_cluster=True),
    ).validate()


def _output(args: argparse.Namespace) -> Path:
    return (args.output or default_output_dir()).expanduser().absolute()


def _report(args: argparse.Namespace) -> str:
    from pipeline.runs.report import write_report

    return f"Report: {write_report(_output(args), args.run, args.to)}"


def _inspect(args: argparse.Namespace) -> str:
    from pipeline.runs.inspection import inspect_as_json, inspect_as_text

    return inspect_as_json(_output(args)) if args.json else inspect_as_text(_output(args))


def _pipeline_output(args: argparse.Namespace) -> Path:
    return (args.pipeline_output or default_output_dir()).expanduser().absolute()


def _predict(args: argparse.Namespace) -> str:
    from pipeline.predict import predict
    from pipeline.runs.summary import csv_problem

    keys = [k.strip() for k in args.keys.split(",") if k.strip()]
    beam = beam_config(args, local_cluster=True)
    if problem := beam.unreachable():
        raise InputError(problem[0])
    try:
        scored = predict(
            args.data.expanduser().absolute(),
            args.output.expanduser().absolute(),
            _pipeline_output(args) / "serving",
            args.version,
            keys,
            beam,
        )
    except Exception as exc:
        if problem := csv_problem(exc):
            raise InputError(f"{problem}; no output written") from None
        raise
    return scored.summary()


def _schema(args: argparse.Namespace) -> str:
    from pipeline.draft_schema import draft

    written = draft(args.data.expanduser().absolute(), args.label, args.out)
    return "\n".join(
        [f"Wrote {path}" for path in written]
        + ["Next: curate both files (see the README's 'Use your own data')."]
    )


# Each read-only command, and the directory its log goes to.
READ_ONLY_COMMANDS = {
    "report": (_report, _output),
    "inspect": (_inspect, _output),
    "predict": (_predict, _pipeline_output),
    "schema": (_schema, lambda args: args.out),
}


def _read_only(args: argparse.Namespace) -> int:
    """The commands that read runs or data and write files, without running the pipeline. What
    TensorFlow's C++ core prints while they work goes to their log, not the console."""
    from pipeline.logs import command_log, native_stderr_to, quiet_libraries

    command, log_dir = READ_ONLY_COMMANDS[args.command]
    tf_environment()
    quiet_libraries()
    try:
        with native_stderr_to(command_log(log_dir(args), args.command)):
            text = command(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in READ_ONLY_COMMANDS:
        return _read_only(args)
    try:
        config = _config(args)
        unreachable = config.beam.unreachable()
        if unreachable:
            raise ConfigError(unreachable[0])
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from pipeline.local.runner import execute

    return execute(config, args.verbose)
