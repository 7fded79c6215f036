"""The read-only commands fail with one line and exit 2 on unusable input, before any work."""

import pytest

from pipeline.cli import main


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err.strip().splitlines()


@pytest.mark.parametrize("command", ["report", "inspect"])
def test_report_and_inspect_name_a_directory_without_runs(capsys, tmp_path, command):
    code, _, err = _run(capsys, command, "--output", str(tmp_path))
    assert code == 2
    assert err == [f"error: no pipeline runs recorded in {tmp_path} (no metadata.sqlite)"]


def test_schema_needs_csv_files(capsys, tmp_path):
    code, _, err = _run(capsys, "schema", "--data", str(tmp_path), "--label", "y")
    assert (code, err) == (2, [f"error: no .csv files in {tmp_path}"])


def test_schema_names_the_columns_when_the_label_is_not_one_of_them(capsys, tmp_path):
    (tmp_path / "d.csv").write_text("a,b\n1,x\n2,y\n")
    code, _, err = _run(capsys, "schema", "--data", str(tmp_path), "--label", "species")
    assert (code, err) == (2, ["error: label column 'species' is not in d.csv (a, b)"])


def test_schema_rejects_a_label_with_one_value(capsys, tmp_path):
    (tmp_path / "d.csv").write_text("a,b\n1,x\n2,x\n")
    out = tmp_path / "draft"
    argv = ["schema", "--data", str(tmp_path), "--label", "b", "--out", str(out)]
    code, _, err = _run(capsys, *argv)
    assert (code, err) == (2, ["error: label column 'b' needs at least two distinct values"])
    assert not out.exists()
