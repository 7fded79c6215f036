"""Command line: `python -m kubeflow compile|submit` (see kubeflow/README.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kubeflow.targets import TARGETS
from pipeline.config import PipelineConfig, kubeflow_config
from pipeline.errors import ConfigError, SubmitError
from pipeline.options import (
    add_beam_options,
    add_model_options,
    beam_config,
    model_params,
    tf_environment,
)

EXAMPLES = """examples:
  python -m kubeflow compile --target vertex --output pipeline.json \\
      --image europe-docker.pkg.dev/my-project/tfx/taxi:1.0 --pipeline-root gs://my-bucket/taxi
  python -m kubeflow compile --target kfp --output pipeline.yaml \\
      --image registry.example.com/tfx/taxi:1.0 --pipeline-root gs://my-bucket/taxi
  python -m kubeflow compile --output pipeline.yaml --image IMAGE --pipeline-root gs://b/root \\
      --beam-runner dataflow --project my-project --region europe-west4 \\
      --temp-location gs://b/tmp
  python -m kubeflow submit --host https://kfp.example.com --spec pipeline.yaml
  python -m kubeflow submit --vertex --project my-project --region europe-west4 \\
      --spec pipeline.json
"""


def _parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="python -m kubeflow",
        description="Compile and submit the pipeline for KFP v2 / Vertex.",
        epilog=EXAMPLES,
        formatter_class=fmt,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    c = sub.add_parser(
        "compile", help="write the KFP v2 PipelineSpec", epilog=EXAMPLES, formatter_class=fmt
    )
    c.add_argument(
        "--output",
        type=Path,
        required=True,
        help="spec file: JSON (a PipelineJob), or YAML when it ends in .yaml",
    )
    c.add_argument(
        "--target",
        choices=sorted(TARGETS),
        default="vertex",
        help="vertex: Vertex AI Pipelines (TFX's resolvers); kfp: open-source Kubeflow Pipelines"
        " 2.x (spec 2.1, baselines looked up in its ML Metadata). Default: vertex",
    )
    c.add_argument("--image", help="the pipeline image every step runs in (kubeflow/Dockerfile)")
    c.add_argument("--pipeline-root", help="object-storage URI for artifacts, e.g. gs://b/root")
    c.add_argument("--data", help="CSV directory URI (default: the sample baked into the image)")
    c.add_argument("--serving-dir", help="push destination (default: PIPELINE_ROOT/serving)")
    c.add_argument("--train-steps", type=int, default=PipelineConfig.train_steps)
    c.add_argument("--eval-steps", type=int, default=PipelineConfig.eval_steps)
    add_model_options(c)
    add_beam_options(c)

    i = sub.add_parser(
        "image",
        help="build kubeflow/Dockerfile here with buildah (make image)",
        description="Builds the pipeline image with buildah (chroot isolation) on a Debian 12 base"
        " made by debootstrap; installs buildah, debootstrap and runc from Debian's packages if"
        " missing (root).",
    )
    i.add_argument("--tag", default=None, help="image name (default: the template's dev tag)")
    i.add_argument("--base-image", help="build on this image instead of the debootstrap base")

    s = sub.add_parser(
        "submit", help="start a run of a compiled spec", epilog=EXAMPLES, formatter_class=fmt
    )
    s.add_argument("--spec", type=Path, required=True, help="file written by `compile`")
    s.add_argument("--host", help="Kubeflow Pipelines API endpoint")
    s.add_argument("--experiment", default="taxi-big-tipper", help="KFP experiment name")
    s.add_argument("--vertex", action="store_true", help="submit to Vertex AI Pipelines instead")
    s.add_argument("--project", help="vertex: Google Cloud project")
    s.add_argument("--region", help="vertex: region, e.g. europe-west4")
    s.add_argument("--service-account", help="vertex: service account the job runs as")
    return parser


def _compile(args) -> int:
    if not args.image:
        raise ConfigError("--image is required: the container image every step runs in")
    if not args.pipeline_root:
        raise ConfigError("--pipeline-root is required, e.g. gs://bucket/path")
    target = TARGETS[args.target]
    settings = {k: v for k, v in (("data_dir", args.data), ("serving_dir", args.serving_dir)) if v}
    config = kubeflow_config(
        pipeline_root=args.pipeline_root,
        image=args.image,
        beam=beam_config(args),
        train_steps=args.train_steps,
        eval_steps=args.eval_steps,
        model=model_params(args),
        baselines=target.baselines,
        **settings,
    ).validate()
    tf_environment()
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)
    from kubeflow.compiler import compile_spec
    from kubeflow.spec_io import write_spec
    from pipeline.logs import command_log, native_stderr_to

    # TensorFlow's C++ start-up lines go to the log, not the console.
    with native_stderr_to(command_log(args.output.parent, "compile")):
        job = compile_spec(config, target)
    write_spec(job, args.output)
    print(
        f"Wrote {args.output} for {target.backend} (--target {target.name}; image"
        f" {config.image}, pipeline root {config.pipeline_root})"
    )
    return 0


def _image(args) -> int:
    from kubeflow import image

    built = image.build(args.tag or image.IMAGE, args.base_image)
    base = "" if built.base_seconds is None else f", base made in {built.base_seconds:.0f} s"
    print(
        f"Built {built.image}: {built.size_bytes / 1e9:.2f} GB in {built.build_seconds:.0f} s"
        f"{base} (log .image/build.log)"
    )
    return 0


def _submit(args) -> int:
    from kubeflow.submit import submit_kfp, submit_vertex

    if not args.spec.is_file():
        raise ConfigError(f"spec file {args.spec} does not exist")
    if args.vertex:
        if not (args.project and args.region):
            raise ConfigError("--vertex needs --project and --region")
        name = submit_vertex(args.project, args.region, args.spec, args.service_account)
        print(f"Submitted Vertex AI pipeline job {name}")
    else:
        if not args.host:
            raise ConfigError("--host is required (or --vertex)")
        run_id = submit_kfp(args.host, args.spec, args.experiment)
        print(f"Submitted run {run_id} to {args.host} (experiment {args.experiment})")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        commands = {"compile": _compile, "image": _image, "submit": _submit}
        return commands[args.command](args)
    except (ConfigError, SubmitError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ConfigError) else 1
