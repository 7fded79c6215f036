"""The batch reader and converters against the per-cell rules they stand in for
(`csv_batches.value_type`, and `example_gen.to_feature`, which builds features cell by cell)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from components import csv_batches
from components.csv_batches import value_type
from components.csv_files import CsvFormatError, read_layout, read_rows
from components.example_gen import to_feature

COLUMNS = {
    "ints": ["1", "-2", "", "300", "+4", " 5 "],
    "whole floats": ["5.0", "", "17031081800.0", "-3."],
    "floats": ["1.5", "2", ".25", "1e3", "-0.0"],
    "nan and inf": ["1.5", "nan", "-Infinity", "inf"],
    "numbers Python reads and the pattern does not": ["1_000", "٣", "+.5e1"],
    "strings": ["Cash", "Credit Card", "", "12"],
    "hex is a string": ["0x10", "16"],
    "beyond int64 is a string": ["9223372036854775807", "9223372036854775808"],
    "beyond int64 beside floats": ["1.5", "99999999999999999999"],
    "float at 2**63 is not whole": ["9223372036854775808.0", "1.0"],
    "blanks": [" ", "1"],
    "empty": ["", ""],
}


def _by_cell(cells: list[str]) -> tuple[int, bool]:
    kind, whole = csv_batches.UNKNOWN, True
    for cell in cells:
        k, w = value_type(cell)
        kind, whole = max(kind, k), whole and w
    return kind, whole


@pytest.mark.parametrize("name", list(COLUMNS))
def test_batch_inference_is_the_per_cell_rule(name):
    cells = COLUMNS[name]
    assert csv_batches.infer(pa.array(cells, pa.string())) == _by_cell(cells)


def _features(column: pa.ListArray) -> list:
    import tensorflow as tf
    from tfx_bsl.coders.example_coder import RecordBatchToExamples

    batch = pa.RecordBatch.from_arrays([column], ["x"])
    return [
        tf.train.Example.FromString(e).features.feature["x"] for e in RecordBatchToExamples(batch)
    ]


@pytest.mark.parametrize(
    "kind, cells",
    [
        (csv_batches.INT, ["1", "", "-7", " 42 ", "5.0", "17031081800.0"]),
        (csv_batches.FLOAT, ["1.5", "", "2", "0.1", "-1e-3", "nan", "Infinity", "1_0.5"]),
        (csv_batches.STRING, ["Cash", "", "Flash Cab", "12", " padded "]),
        (csv_batches.UNKNOWN, ["", ""]),
    ],
)
def test_batch_encoding_is_the_per_cell_feature(kind, cells):
    column = csv_batches.encode_column(pa.array(cells, pa.string()), kind)
    got = _features(column)
    expected = [to_feature(kind, c) for c in cells]
    assert [g.SerializeToString() for g in got] == [e.SerializeToString() for e in expected]


def _write(path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_arrow_trouble_midway_resumes_with_the_row_reader(tmp_path, monkeypatch):
    """A line of blanks after the first blocks: the rows Arrow yielded are not read twice."""
    monkeypatch.setattr(csv_batches, "BLOCK_BYTES", 256)
    rows = [f"{i},name {i}" for i in range(200)]
    path = _write(tmp_path / "t.csv", "\n".join(["a,b", *rows[:150], "   ", *rows[150:]]) + "\n")
    layout = read_layout(path)
    batches = list(csv_batches.read_batches(layout, ("b", "a")))
    assert len(batches) > 2
    got = [[b, a] for batch in batches for b, a in zip(*batch.to_pydict().values(), strict=True)]
    assert got == list(read_rows(layout, ("b", "a")))
    assert len(got) == 200


def test_a_short_row_is_the_row_readers_error(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_batches, "BLOCK_BYTES", 256)
    rows = [f"{i},{i}" for i in range(100)]
    path = _write(tmp_path / "t.csv", "\n".join(["a,b", *rows, "7", *rows]) + "\n")
    with pytest.raises(CsvFormatError, match=r"t\.csv line 102: 1 field where the header has 2$"):
        list(csv_batches.read_batches(read_layout(path), ("a", "b")))


def test_utf16_is_read_by_the_row_reader(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("a\tb\r\n1\tx\r\n2\ty\r\n".encode("utf-16"))
    (batch,) = csv_batches.read_batches(read_layout(str(path)), ("a", "b"))
    assert batch.to_pydict() == {"a": ["1", "2"], "b": ["x", "y"]}
