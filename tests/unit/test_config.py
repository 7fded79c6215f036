"""Config validation and the CLI's handling of bad arguments (no TensorFlow needed)."""

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from components.hparams import ModelParams
from pipeline.beam import BeamConfig
from pipeline.cli import main
from pipeline.config import ConfigError, Thresholds, local_config
from tests.helpers import REPO_ROOT


@pytest.fixture
def config(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "rows.csv").write_text("a,b\n1,2\n")
    return local_config(data_dir=data, output_dir=tmp_path / "out")


def test_valid_config_passes_and_paths_live_under_output(config):
    assert config.validate() is config
    output = Path(config.output_dir)
    for path in (config.pipeline_root, config.metadata_path, config.serving_dir, config.log_dir):
        assert output in Path(path).parents


def test_defaults_point_at_the_bundled_data_and_schema():
    c = local_config()
    assert (Path(c.data_dir) / "data.csv").is_file()
    assert Path(c.schema_file).is_file()
    assert c.validate() is c


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: replace(c, data_dir=c.data_dir + "/nope"), "does not exist"),
        (lambda c: replace(c, train_steps=0), "train_steps must be > 0"),
        (lambda c: replace(c, eval_steps=-1), "eval_steps must be > 0"),
        (lambda c: replace(c, schema_file=c.data_dir + "/x.pbtxt"), "schema file"),
        (lambda c: replace(c, output_dir=c.data_dir + "/out"), "inside the data directory"),
        (lambda c: replace(c, pipeline_name="bad name!"), "pipeline name"),
        (lambda c: replace(c, thresholds=Thresholds(min_auc=1.5)), "min_auc"),
        (lambda c: replace(c, model=ModelParams(batch_size=0)), "batch_size"),
        (lambda c: replace(c, model=ModelParams(hidden_units=())), "hidden_units"),
        (lambda c: replace(c, beam=BeamConfig(runner="samza")), "beam runner"),
        (lambda c: replace(c, thresholds=Thresholds(max_latency_ms=0)), "max_latency_ms"),
        (lambda c: replace(c, tune_trials=-1), "tune_trials must be >= 0"),
        (
            lambda c: replace(c, predict_data_dir=c.data_dir + "/nope"),
            "is not a directory with .csv files",
        ),
    ],
)
def test_each_bad_setting_is_named_in_one_line(config, change, message):
    with pytest.raises(ConfigError) as err:
        change(config).validate()
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_data_dir_without_csv_is_rejected(config):
    (Path(config.data_dir) / "rows.csv").unlink()
    (Path(config.data_dir) / "notes.txt").write_text("x")
    with pytest.raises(ConfigError, match=r"holds no \.csv or \.csv\.gz file"):
        config.validate()


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "is empty"),
        (b"fare,tips\n", "header but no data rows"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xfe\x00", "is not CSV text"),
        ("fare,company\n1.0,Caf\u00e9 Taxi\n".encode(), None),
    ],
)
def test_data_files_are_checked_before_the_pipeline_starts(config, content, message):
    (Path(config.data_dir) / "rows.csv").write_bytes(content)
    errors = config.errors()
    if message is None:
        assert errors == []
    else:
        assert len(errors) == 1 and message in errors[0] and "rows.csv" in errors[0]


def test_model_params_round_trip_through_the_trainer_custom_config():
    params = ModelParams(hidden_units=(16, 8), learning_rate=0.01, batch_size=32)
    assert ModelParams.from_dict(params.to_dict()) == params
    with pytest.raises(ValueError, match="unknown model parameters"):
        ModelParams.from_dict({"dropout": 0.5})


def test_cli_missing_data_dir_is_one_line_and_exit_2(tmp_path, capsys):
    code = main(["run", "--data", str(tmp_path / "missing"), "--output", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "data directory" in err and "does not exist" in err
    assert not (tmp_path / "o").exists(), "nothing is written for a rejected config"


def test_cli_as_a_process_prints_no_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--data", str(tmp_path / "missing")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("error: data directory")


def test_cli_help_shows_runnable_examples():
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0
    assert "python -m pipeline run --data" in proc.stdout
