"""CSV files to tf.Examples a batch of rows at a time: Arrow parses and converts, tfx_bsl's C++
encoder builds the examples, and Python touches a cell only where Arrow's answer could differ
from the per-cell rules (`value_type`, `to_int`), which stay the definition.

- Reading: Arrow's CSV reader, for UTF-8 files (with or without a byte-order mark). A file Arrow
  cannot read (another encoding, a row with the wrong number of fields, text that is not UTF-8,
  a line of blanks) is read by `components/csv_files.read_rows` from the first row not yet
  yielded, so every dialect and every error message is that reader's.
- Types: a cell that looks like a number to a strict pattern is converted by Arrow; any other
  non-empty cell is judged by `value_type` in Python, stopping at the first real string (so a
  text column costs one call per batch).
- Encoding: Arrow casts each column to its type; a cell Arrow cannot cast goes through the
  per-cell converters instead.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from components.csv_files import CsvLayout, read_rows

# Rows per batch are what Arrow parses from one block; 4 MiB holds ~30k taxi rows.
BLOCK_BYTES = 4 << 20
# Inferred types, ordered so that a column takes the highest of its values'.
UNKNOWN, INT, FLOAT, STRING = range(4)
_INT_SYNTAX = r"^[+-]?[0-9]+$"
_FLOAT_SYNTAX = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
_TWO_63 = float(2**63)
_INT64 = (-(2**63), 2**63 - 1)


def value_type(cell: str) -> tuple[int, bool]:
    """(type of one cell, whether it is a whole number that fits int64), as TFX infers it."""
    if not cell:
        return UNKNOWN, True
    try:
        return (INT, True) if _INT64[0] <= int(cell) <= _INT64[1] else (STRING, False)
    except ValueError:
        try:
            number = float(cell)
        except ValueError:
            return STRING, False
        return FLOAT, number.is_integer() and _INT64[0] <= number <= _INT64[1]


def to_int(cell: str) -> int:
    """An INT cell's value; "5.0" where the contract types the column INT (checked whole by the
    inference)."""
    try:
        return int(cell)
    except ValueError:
        return int(float(cell))


def read_batches(layout: CsvLayout, order: tuple[str, ...]) -> Iterator[pa.RecordBatch]:
    """The file's data rows as record batches of strings, columns in `order`; empty cells are
    empty strings."""
    yielded = 0
    if layout.encoding in ("utf-8", "utf-8-sig"):
        try:
            for batch in _arrow_batches(layout, order):
                yielded += batch.num_rows
                yield batch
            return
        except pa.ArrowInvalid:
            pass  # the row-by-row reader resumes at row `yielded`, and words any error
    rows = itertools.islice(read_rows(layout, order), yielded, None)
    while chunk := list(itertools.islice(rows, 50_000)):
        columns = list(zip(*chunk, strict=True))
        yield pa.RecordBatch.from_arrays([pa.array(c, pa.string()) for c in columns], order)


def _arrow_batches(layout: CsvLayout, order: tuple[str, ...]) -> Iterator[pa.RecordBatch]:
    from pyarrow import csv

    # Unnamed columns (pandas' index) get placeholder names and are left out.
    names = [n if n is not None else f"\0unnamed{i}" for i, n in enumerate(layout.names)]
    with layout.open_binary() as raw:
        reader = csv.open_csv(
            raw,
            read_options=csv.ReadOptions(
                column_names=names, skip_rows=1, block_size=BLOCK_BYTES, use_threads=False
            ),
            parse_options=csv.ParseOptions(
                delimiter=layout.delimiter, newlines_in_values=True, ignore_empty_lines=True
            ),
            convert_options=csv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                include_columns=list(order),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        for batch in reader:
            if batch.num_rows:
                yield batch


def _present(column: pa.Array) -> pa.Array:
    return pc.not_equal(column, "")


def _python_kinds(cells) -> tuple[int, bool]:
    """The highest type and whole-ness over `cells` by the per-cell rule; stops at a string."""
    kind, whole = UNKNOWN, True
    for cell in cells:
        k, w = value_type(cell)
        kind, whole = max(kind, k), whole and w
        if kind == STRING:
            break
    return kind, whole


def infer(column: pa.Array) -> tuple[int, bool]:
    """(type, every value whole) of one column of one batch, as `value_type` would find cell by
    cell: INT if every value is an int64, else FLOAT if every value is a number, else STRING."""
    raw = pc.filter(column, _present(column))
    values = pc.utf8_trim_whitespace(raw)
    if len(values) == 0:
        return UNKNOWN, True
    is_int = pc.match_substring_regex(values, _INT_SYNTAX)
    is_float = pc.and_not(pc.match_substring_regex(values, _FLOAT_SYNTAX), is_int)
    others = pc.filter(raw, pc.invert(pc.or_(is_int, is_float)))
    kind, whole = _python_kinds(others.to_pylist())
    if kind == STRING:
        return kind, whole
    ints = pc.filter(values, is_int)
    if len(ints):
        try:
            pc.cast(ints, pa.int64())
        except pa.ArrowInvalid:  # beyond int64: a STRING cell for the per-cell rule
            k, w = _python_kinds(pc.filter(raw, is_int).to_pylist())
            kind, whole = max(kind, k), whole and w
        else:
            kind = max(kind, INT)
    try:
        floats = pc.cast(pc.filter(values, is_float), pa.float64())
    except pa.ArrowInvalid:
        k, w = _python_kinds(pc.filter(raw, is_float).to_pylist())
        return max(kind, k), whole and w
    if len(floats):
        whole = whole and bool(
            pc.all(
                pc.and_(
                    pc.equal(pc.floor(floats), floats),
                    pc.and_(pc.greater_equal(floats, -_TWO_63), pc.less(floats, _TWO_63)),
                )
            ).as_py()
        )
        kind = max(kind, FLOAT)
    return kind, whole


def _as_lists(present: pa.Array, values: pa.Array) -> pa.ListArray:
    """One list per row: [value] where the cell is present (non-empty), [] where it is not."""
    counts = present.to_numpy(zero_copy_only=False).astype(np.int32)
    offsets = np.concatenate([[0], np.cumsum(counts, dtype=np.int32)])
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def encode_column(column: pa.Array, kind: int) -> pa.ListArray:
    """The column as feature lists of `kind`; a cell Arrow cannot cast is converted as
    `value_type` reads it."""
    if kind == UNKNOWN:  # no value anywhere: a feature of no type
        return pa.nulls(len(column), pa.list_(pa.int64()))
    present = _present(column)
    cells = pc.filter(column, present)
    if kind == STRING:
        return _as_lists(present, pc.cast(cells, pa.binary()))
    trimmed = pc.utf8_trim_whitespace(cells)
    try:
        if kind == FLOAT:
            values = pc.cast(pc.cast(trimmed, pa.float64()), pa.float32(), safe=False)
        else:
            is_int = pc.match_substring_regex(trimmed, _INT_SYNTAX)
            as_int = pc.cast(pc.if_else(is_int, trimmed, "0"), pa.int64())
            # "5.0" in a column the contract types INT: checked whole by the inference
            as_float = pc.cast(pc.if_else(is_int, "0", trimmed), pa.float64())
            values = pc.if_else(is_int, as_int, pc.cast(as_float, pa.int64()))
    except pa.ArrowInvalid:
        convert, arrow_type = (float, pa.float32()) if kind == FLOAT else (to_int, pa.int64())
        values = pa.array([convert(c) for c in cells.to_pylist()], arrow_type)
    return _as_lists(present, values)
