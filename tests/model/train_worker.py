"""Runs the Trainer's `run_fn` outside TFX on transformed examples already on disk, as one TFX
Trainer process would: used in-process by the tests, and as a script for the strategies that
need a fresh TensorFlow (split CPU devices, one process per worker).

    python tests/model/train_worker.py WORK_DIR PARAMS_JSON STEPS [--split-cpu N]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pipeline.options import tf_environment

tf_environment()


def fn_args(work: Path, params: dict, train_steps: int):
    """FnArgs over `work/examples/*.gz` and the transform graph at `work/transform_graph`."""
    from tfx.components.trainer.fn_args_utils import DataAccessor, FnArgs
    from tfx_bsl.public import tfxio

    def dataset_factory(file_pattern, options, schema):
        return tfxio.TFExampleRecord(file_pattern, schema=schema).TensorFlowDataset(options)

    files = [str(work / "examples" / "part-0.gz")]
    return FnArgs(
        train_files=files,
        eval_files=files,
        transform_output=str(work / "transform_graph"),
        serving_model_dir=str(work / "serving_model"),
        model_run_dir=str(work / "model_run"),
        train_steps=train_steps,
        eval_steps=2,
        custom_config=params,
        data_accessor=DataAccessor(
            tf_dataset_factory=dataset_factory, record_batch_factory=None, data_view_decode_fn=None
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("work", type=Path)
    parser.add_argument("params")
    parser.add_argument("steps", type=int)
    parser.add_argument("--split-cpu", type=int, default=0)
    args = parser.parse_args()
    if args.split_cpu:
        from components.distribution import split_cpu

        assert split_cpu(args.split_cpu)
    from components.trainer import run_fn

    run_fn(fn_args(args.work, json.loads(args.params), args.steps))


if __name__ == "__main__":
    main()
