"""What every entry point shares: the process environment TensorFlow needs before it loads, and
the command-line options that choose the model and where Beam runs. `python -m pipeline run`,
`python -m kubeflow compile`, the benchmark and the tests all take them from here, so a flag means
the same thing everywhere. Nothing here imports TensorFlow."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import MutableMapping
from pathlib import Path

from cluster.profiles import PROFILES
from components.hparams import MODEL_APIS, STRATEGIES, TRAINING_LOOPS, ModelParams
from pipeline.beam import ENVIRONMENT_TYPES, RUNNERS, BeamConfig
from pipeline.config import direct_beam


def tf_environment(environ: MutableMapping[str, str] | None = None) -> MutableMapping[str, str]:
    """Sets, in `environ` (default: this process's), what must hold before TensorFlow loads;
    returns it, so a subprocess's environment can be made the same way."""
    env = os.environ if environ is None else environ
    # TFX 1.16 needs Keras 2 (tf_keras) behind tf.keras; `import keras` would be Keras 3.
    env["TF_USE_LEGACY_KERAS"] = "1"
    # TF's C++ start-up chatter (CUDA plugin registration on a CPU machine) is noise here.
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return env


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """The Trainer's model API, training loop and tf.distribute strategy."""
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


def add_beam_options(parser: argparse.ArgumentParser) -> None:
    """Where the Beam components (ExampleGen, StatisticsGen, Transform, Evaluator) process data."""
    beam = parser.add_argument_group("Beam (where the data processing runs)")
    beam.add_argument("--beam-runner", choices=RUNNERS, default="direct")
    beam.add_argument(
        "--beam-workers",
        type=int,
        default=1,
        help="direct: 1 runs Beam in the launching process (in-memory); N > 1 uses Beam's "
        "multi-processing mode with N worker processes (default: %(default)s)",
    )
    beam.add_argument("--project", help="dataflow: Google Cloud project")
    beam.add_argument("--region", help="dataflow: region")
    beam.add_argument("--temp-location", help="dataflow: gs:// staging and temp location")
    beam.add_argument(
        "--job-endpoint",
        help="flink/spark: the job server, HOST:PORT (run: the local cluster's by default)",
    )
    beam.add_argument(
        "--environment-type",
        choices=ENVIRONMENT_TYPES,
        help="flink/spark: how workers run the Python SDK (run: EXTERNAL, the local cluster's "
        f"worker pool; compile: {BeamConfig.environment_type})",
    )
    beam.add_argument(
        "--environment-config",
        help="flink/spark: the worker pool HOST:PORT for EXTERNAL, the SDK image for DOCKER",
    )
    beam.add_argument("--parallelism", type=int, help="flink/spark: parallelism of each Beam job")


def beam_config(args: argparse.Namespace, local_cluster: bool = False) -> BeamConfig:
    """The Beam profile the flags describe. With `local_cluster`, a Flink or Spark runner
    defaults to the cluster `python -m cluster start` runs on this machine."""
    if args.beam_runner == "direct":
        return direct_beam(args.beam_workers)
    settings = {
        "job_endpoint": args.job_endpoint,
        "environment_type": args.environment_type,
        "environment_config": args.environment_config,
        "parallelism": args.parallelism,
    }
    if local_cluster and args.beam_runner in PROFILES:
        profile = PROFILES[args.beam_runner]
        external = (args.environment_type or "EXTERNAL") == "EXTERNAL"
        defaults = {
            "job_endpoint": profile.job_endpoint,
            "environment_type": "EXTERNAL",
            "environment_config": profile.worker_pool if external else None,
            "parallelism": profile.parallelism,
        }
        settings = {k: v if v is not None else defaults[k] for k, v in settings.items()}
    return BeamConfig(
        runner=args.beam_runner,
        project=args.project,
        region=args.region,
        temp_location=args.temp_location,
        **{k: v for k, v in settings.items() if v is not None},
    )


def run_command(data: Path, output: Path, *options: str) -> list[str]:
    """`python -m pipeline run` as a subprocess argv, for the benchmark and the tests."""
    return [
        sys.executable, "-m", "pipeline", "run", "--data", str(data), "--output", str(output),
        *options,
    ]  # fmt: skip
