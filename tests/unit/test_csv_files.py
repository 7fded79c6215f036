"""The CSV reader's own rules, without Beam: layouts, row checks with line numbers, the
pre-run look at a file."""

import gzip

import pytest

from components.csv_files import (
    CsvFormatError,
    file_problem,
    read_layout,
    read_rows,
    same_columns,
)


def _file(tmp_path, text: str, name="t.csv", encoding="utf-8"):
    path = tmp_path / name
    data = text.encode(encoding)
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return str(path)


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [("a,b;c\n1,2;3\n", ","), ("a;b;c\n1;2;3\n", ";"), ("a\tb\n1\t2\n", "\t"), ("a|b\n1|2\n", "|")],
)
def test_the_delimiter_is_the_one_that_splits_the_header_most(tmp_path, text, delimiter):
    assert read_layout(_file(tmp_path, text)).delimiter == delimiter


def test_byte_order_marks_and_gzip_are_read(tmp_path):
    for name, encoding, text in (
        ("a.csv", "utf-8-sig", "x,y\n1,2\n"),
        ("b.csv", "utf-16", "x\ty\r\n1\t2\r\n"),
        ("c.csv.gz", "utf-8", "x,y\n1,2\n"),
    ):
        layout = read_layout(_file(tmp_path, text, name, encoding))
        assert layout.columns == ("x", "y")
        assert list(read_rows(layout, ("y", "x"))) == [["2", "1"]]


def test_rows_come_in_the_asked_order_and_quoted_line_breaks_keep_line_numbers(tmp_path):
    path = _file(tmp_path, ',x,y\n0,"a\nb",1\n\n1,c,2\n2,d\n')
    layout = read_layout(path)
    assert layout.names == (None, "x", "y")  # pandas' unnamed index column is skipped
    rows = read_rows(layout, ("y", "x"))
    assert next(rows) == ["1", "a\nb"]
    assert next(rows) == ["2", "c"]
    with pytest.raises(CsvFormatError, match=r"t\.csv line 6: 2 fields where the header has 3$"):
        next(rows)


def test_header_problems_name_the_file_and_the_columns(tmp_path):
    with pytest.raises(
        CsvFormatError, match=r"column 'a' appears twice in the header \(columns 1 and 3\)"
    ):
        read_layout(_file(tmp_path, "a,b,a\n1,2,3\n"))
    with pytest.raises(CsvFormatError, match=r"column 2 has no name in the header"):
        read_layout(_file(tmp_path, "a,,c\n1,2,3\n"))
    first = read_layout(_file(tmp_path, "a,b\n1,2\n", "one.csv"))
    second = read_layout(_file(tmp_path, "b,c\n1,2\n", "two.csv"))
    with pytest.raises(CsvFormatError) as err:
        same_columns([first, second])
    assert str(err.value).endswith(
        f"have different columns: only {first.path} has ['a']; only {second.path} has ['c']"
    )
    same_columns([first, read_layout(_file(tmp_path, "b,a\n3,4\n", "three.csv"))])


def test_the_look_before_a_run(tmp_path):
    assert file_problem(_file(tmp_path, "a,b\n1,2\n")) is None
    assert file_problem(_file(tmp_path, "a,b\n1,2\n", "z.csv.gz")) is None
    assert "has a header but no data rows" in file_problem(_file(tmp_path, "a,b\n"))
    latin = _file(tmp_path, "a,b\n1,2\nCafé,3\n", encoding="cp1252")
    assert file_problem(latin).endswith("line 3 is not utf-8 text (byte 0xe9); save it as UTF-8")
    (tmp_path / "bad.csv.gz").write_bytes(b"not gzip at all")
    assert "cannot be read" in file_problem(str(tmp_path / "bad.csv.gz"))


def test_the_run_summary_reads_the_error_as_beam_passes_it_on():
    from pipeline.runs.summary import csv_problem

    message = "data file /d/t.csv line 5: 2 fields where the header has 3"
    # In process, Beam re-raises the error with the step appended.
    assert csv_problem(CsvFormatError(f"{message} [while running 'ReadRows']")) == message
    # From a portable runner, the workers' traceback arrives as text.
    portable = (
        "Pipeline BeamApp-root-1_2 failed in state FAILED: java.lang.RuntimeException: Error\n"
        "Traceback (most recent call last):\n  File x, line 1\n"
        f"components.csv_files.CsvFormatError: {message} [while running 'ReadRows']\n\n"
    )
    assert csv_problem(RuntimeError(portable)) == message
    assert csv_problem(RuntimeError("something else")) is None
