"""The advertised console script, `taxi-pipeline`, from the package built as a wheel and used
outside the source checkout: no default may point into the checkout, and what only a checkout
has (the bundled sample, the curated schema) is asked for in one line."""

import configparser
import shutil
import subprocess
import sys
import zipfile

import pytest

from tests.helpers import DATA_CSV, REPO_ROOT, SCHEMA_FILE

SOURCES = (
    "pyproject.toml",
    "setup.py",
    "README.md",
    "pipeline",
    "components",
    "kubeflow",
    "cluster",
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(site dir holding the unpacked wheel, the console script's `module:function`)."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    source.mkdir()
    for name in SOURCES:
        if (REPO_ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(REPO_ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy(REPO_ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "uv", "build", "--wheel", "--no-build-isolation"]
        + ["--out-dir", str(root / "dist"), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (root / "dist").glob("*.whl")
    site = root / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    entry_points = configparser.ConfigParser()
    entry_points.read(next(site.glob("*.dist-info")) / "entry_points.txt")
    return site, entry_points["console_scripts"]["taxi-pipeline"]


def _script(installed, tmp_path, *args):
    site, target = installed
    module, function = target.split(":")
    code = (
        "import sys, pathlib\n"
        f"import {module} as cli\n"
        f"assert pathlib.Path(cli.__file__).is_relative_to({str(site)!r}), cli.__file__\n"
        f"sys.exit(cli.{function}({list(args)!r}))\n"
    )
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=work,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_wheel_holds_the_packages_and_no_checkout_files(installed):
    site, target = installed
    assert target == "pipeline.cli:main"
    assert {p.name for p in site.iterdir() if p.is_dir() and "dist-info" not in p.name} == {
        "pipeline",
        "components",
        "kubeflow",
        "cluster",
    }
    assert not list(site.rglob("*.csv")) and not list(site.rglob("*.pbtxt"))


def test_run_without_data_names_the_missing_flag(installed, tmp_path):
    proc = _script(installed, tmp_path, "run")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: --data is required: the bundled sample ships with a source checkout only"
    ]
    proc = _script(installed, tmp_path, "run", "--data", str(DATA_CSV.parent))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: --schema is required: the curated schema ships with a source checkout only"
    ]
    assert not (tmp_path / "work" / "outputs").exists()


def test_run_with_data_and_schema_validates_and_writes_under_the_working_directory(
    installed, tmp_path
):
    # An invalid step count stops the run after the config was built from these paths alone.
    args = ("run", "--data", str(DATA_CSV.parent), "--schema", str(SCHEMA_FILE))
    proc = _script(installed, tmp_path, *args, "--train-steps", "0")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == ["error: train_steps must be > 0, got 0"]


def test_inspect_defaults_to_outputs_in_the_working_directory(installed, tmp_path):
    proc = _script(installed, tmp_path, "inspect")
    assert proc.returncode == 2, proc.stderr
    outputs = tmp_path / "work" / "outputs"
    assert proc.stderr.strip() == (
        f"error: no pipeline runs recorded in {outputs} (no metadata.sqlite)"
    )
