"""The compiled spec runs: ExampleGen -> StatisticsGen -> ImportSchemaGen through their container
entrypoints, with the executor input the KFP launcher would pass."""

import json
from pathlib import Path

import pytest

from tests.helpers import DATA_CSV, REPO_ROOT, SCHEMA_FILE
from tests.kubeflow.launcher import Launcher

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def launched(compiled, tmp_path_factory):
    _, job, _ = compiled
    launcher = Launcher(job["pipelineSpec"], tmp_path_factory.mktemp("kfp_root"), REPO_ROOT)
    outputs = {
        t: launcher.run_task(t) for t in ("CsvExampleGen", "StatisticsGen", "ImportSchemaGen")
    }
    return launcher, outputs


def _records(split_dir: Path) -> int:
    import tensorflow as tf

    files = [str(p) for p in split_dir.glob("*.gz")]
    return sum(1 for _ in tf.data.TFRecordDataset(files, compression_type="GZIP"))


def test_example_gen_writes_both_splits_of_the_bundled_data(launched):
    launcher, _ = launched
    examples = launcher.produced[("CsvExampleGen", "examples")]
    assert json.loads(examples["metadata"]["split_names"]) == ["train", "eval"]
    uri = Path(examples["uri"])
    train, evaluation = _records(uri / "Split-train"), _records(uri / "Split-eval")
    with open(DATA_CSV) as f:
        rows = sum(1 for _ in f) - 1
    assert train + evaluation == rows
    assert 0.6 < train / rows < 0.73, "hash split 2:1"
    # The pre-cache driver resolved the span and fingerprinted the input for Kubeflow's cache.
    driver = launcher.driver_outputs["CsvExampleGen"]["parameterValues"]
    assert driver["span"] == 0
    assert f"num_files:1,total_bytes:{DATA_CSV.stat().st_size}" in driver["input_fingerprint"]


def test_statistics_gen_reads_those_examples(launched):
    import tensorflow_data_validation as tfdv

    launcher, _ = launched
    examples = Path(launcher.produced[("CsvExampleGen", "examples")]["uri"])
    stats_uri = Path(launcher.produced[("StatisticsGen", "statistics")]["uri"])
    stats = tfdv.load_stats_binary(str(stats_uri / "Split-train" / "FeatureStats.pb"))
    assert stats.datasets[0].num_examples == _records(examples / "Split-train")
    features = {f.path.step[0] for f in stats.datasets[0].features}
    assert {"fare", "tips", "payment_type"} <= features


def test_import_schema_gen_imports_the_curated_schema(launched):
    from tensorflow_metadata.proto.v0 import schema_pb2
    from tfx.utils import io_utils

    launcher, _ = launched
    schema_uri = Path(launcher.produced[("ImportSchemaGen", "schema")]["uri"])
    imported = io_utils.parse_pbtxt_file(str(schema_uri / "schema.pbtxt"), schema_pb2.Schema())
    curated = io_utils.parse_pbtxt_file(str(SCHEMA_FILE), schema_pb2.Schema())
    assert imported == curated
