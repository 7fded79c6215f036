"""Beam profiles: the arguments each runner gets, and what each one requires."""

import pytest

from pipeline.beam import BeamConfig
from pipeline.config import IMAGE_SETUP_FILE, REPO_ROOT, kubeflow_config, local_config


def test_direct_runs_in_memory_by_default():
    assert BeamConfig().args() == ["--direct_running_mode=in_memory", "--direct_num_workers=1"]


def test_dataflow_arguments():
    beam = BeamConfig(
        runner="dataflow",
        project="p",
        region="europe-west4",
        temp_location="gs://b/tmp",
        setup_file="/pipeline/setup.py",
    )
    assert beam.errors() == []
    assert beam.args() == [
        "--runner=DataflowRunner",
        "--project=p",
        "--region=europe-west4",
        "--temp_location=gs://b/tmp",
        "--setup_file=/pipeline/setup.py",
    ]


@pytest.mark.parametrize("runner", ["flink", "spark"])
def test_portable_runners_use_the_job_server_and_environment(runner):
    beam = BeamConfig(
        runner=runner,
        job_endpoint="jobserver:8099",
        environment_type="DOCKER",
        environment_config="apache/beam_python3.11_sdk:2.59.0",
    )
    assert beam.errors() == []
    assert beam.args() == [
        "--runner=PortableRunner",
        "--job_endpoint=jobserver:8099",
        "--environment_type=DOCKER",
        "--environment_config=apache/beam_python3.11_sdk:2.59.0",
        "--environment_cache_millis=600000",
    ]


@pytest.mark.parametrize(
    "beam, message",
    [
        (BeamConfig(runner="dataflow", project="p"), "needs --region"),
        (BeamConfig(runner="flink"), "needs --job-endpoint"),
        (BeamConfig(runner="spark", job_endpoint="h:1", environment_type="VM"), "environment type"),
        (BeamConfig(direct_running_mode="fast"), "direct running mode"),
        (BeamConfig(runner="samza"), "not one of"),
    ],
)
def test_missing_settings_are_named(beam, message):
    assert any(message in e for e in beam.errors())


def test_every_profile_names_the_package_setup_file():
    # Remote workers install the package from it; with any runner it keeps TFX from building and
    # attaching an sdist of itself to each Beam component.
    remote = kubeflow_config("gs://b/r", "img", beam=BeamConfig(runner="flink", job_endpoint="j:1"))
    assert f"--setup_file={IMAGE_SETUP_FILE}" in remote.beam.args()
    direct = kubeflow_config("gs://b/r", "img")
    assert f"--setup_file={IMAGE_SETUP_FILE}" in direct.beam.args()
    local = local_config()
    assert f"--setup_file={REPO_ROOT / 'setup.py'}" in local.beam.args()
    assert direct.serving_dir == "gs://b/r/serving"
    assert direct.validate() is direct
