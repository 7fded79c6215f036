"""Our ExampleGen executor's `Do` (examples in lists through the split, no shuffle on the
DirectRunner) against TFX's own `Do` over the same reader: the same split names, properties and
examples in each split."""

from __future__ import annotations

import pytest

from components.example_gen import _direct

ROWS = 3000


def _run(do, data, out, beam_args=None):
    from google.protobuf import json_format
    from tfx.proto import example_gen_pb2
    from tfx.types import standard_artifacts

    from components.csv_files import INPUT_SPLIT, SPLIT_PATTERN
    from components.example_gen import Executor, _custom_config
    from components.features import CONTRACT
    from pipeline.factory import _split_config

    artifact = standard_artifacts.Examples()
    artifact.uri = str(out)
    split = example_gen_pb2.Input.Split(name=INPUT_SPLIT, pattern=SPLIT_PATTERN)
    props = {
        "input_base": str(data),
        "input_config": json_format.MessageToJson(example_gen_pb2.Input(splits=[split])),
        "output_config": json_format.MessageToJson(_split_config()),
        "custom_config": json_format.MessageToJson(_custom_config(CONTRACT.column_types())),
        "output_data_format": example_gen_pb2.FORMAT_TF_EXAMPLE,
        "output_file_format": example_gen_pb2.FORMAT_TFRECORDS_GZIP,
    }
    executor = Executor(Executor.Context(beam_pipeline_args=beam_args or []))
    do(executor, {}, {"examples": [artifact]}, props)
    return artifact


def _examples(artifact, split: str) -> list[bytes]:
    import tensorflow as tf

    files = tf.io.gfile.glob(f"{artifact.uri}/Split-{split}/*")
    return sorted(r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP"))


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    from tfx.components.example_gen.base_example_gen_executor import BaseExampleGenExecutor

    from components.example_gen import Executor
    from tests.helpers import read_sample, write_csv

    root = tmp_path_factory.mktemp("example_gen")
    header, rows = read_sample()
    data = write_csv(root / "data", header, rows[:ROWS])
    ours = _run(Executor.Do, data, root / "ours")
    theirs = _run(BaseExampleGenExecutor.Do, data, root / "theirs")
    return ours, theirs


def test_same_split_names_and_properties_as_tfx_do(both):
    ours, theirs = both
    assert ours.split_names == theirs.split_names == '["train", "eval"]'
    assert ours.mlmd_artifact.custom_properties == theirs.mlmd_artifact.custom_properties


@pytest.mark.parametrize("split", ["train", "eval"])
def test_same_examples_in_each_split_as_tfx_do(both, split):
    ours, theirs = both
    got = _examples(ours, split)
    assert got == _examples(theirs, split)
    assert len(got) > (ROWS // 4 if split == "eval" else ROWS // 2)


def test_the_shuffle_is_left_out_on_the_direct_runner_only():
    assert _direct([]) and _direct(["--runner=DirectRunner", "--direct_num_workers=2"])
    assert not _direct(["--runner=PortableRunner", "--job_endpoint=localhost:8099"])
    assert not _direct(["--runner", "DataflowRunner"])
