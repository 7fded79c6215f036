"""The dialect corpus: the bundled sample rewritten as common tools write CSV, each read by our
ExampleGen's reader into exactly the examples of the plain file, and the plain file into exactly
the examples TFX's own CsvExampleGen makes of it.

The plain file is a slice of the sample, with a few company names given a comma, a quote and a
line break (valid CSV the sample happens not to contain), so that quoting is exercised.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import pytest

from components.csv_files import SPLIT_PATTERN
from components.example_gen import _CsvToExample, _custom_config
from components.features import CONTRACT
from tests.helpers import read_sample

ROWS = 300


def _serialized(example) -> bytes:
    # ours yields serialized examples (deterministically), TFX's yields protos
    return example if isinstance(example, bytes) else example.SerializeToString(deterministic=True)


def _examples(transform, data: Path, pattern: str, out: Path) -> list[bytes]:
    """The transform's tf.Examples for the files of `data`, serialized deterministically and
    sorted (a multiset: the order rows come out of Beam is not part of the contract)."""
    import apache_beam as beam
    import tensorflow as tf
    from google.protobuf import json_format

    props = {
        "input_base": str(data),
        "custom_config": json_format.MessageToJson(_custom_config(CONTRACT.column_types())),
    }
    with beam.Pipeline() as p:
        _ = (
            p
            | transform(props, pattern)
            | beam.Map(_serialized)
            | beam.io.WriteToTFRecord(str(out), shard_name_template="")
        )
    return sorted(r.numpy() for r in tf.data.TFRecordDataset(str(out)))


@pytest.fixture(scope="module")
def table():
    header, rows = read_sample()
    # Keep the one row with a pickup census tract, so that column has a value to type.
    rows = rows[:ROWS] + [r for r in rows if r["pickup_census_tract"]][:1]
    rows[1]["company"] = "Taxi, Affiliation Services"
    rows[2]["company"] = 'The "Best" Cab'
    rows[3]["company"] = "Two\nLines Cab"
    return header, rows


def _text(header, rows, **fmt) -> str:
    out = io.StringIO()
    writer = csv.writer(out, **fmt)
    writer.writerow(header)
    writer.writerows([r[h] for h in header] for r in rows)
    return out.getvalue()


def _typed(value: str):
    """A cell as the value a program holds: int, float or str (QUOTE_NONNUMERIC quotes strs)."""
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value


def _frame(header, rows):
    import pandas as pd

    # pandas' own reading: int columns with a missing value become float64 and are written
    # back as "5.0", census tracts as "17031081800.0".
    return pd.read_csv(io.StringIO(_text(header, rows)))


def _write(path: Path, text: str, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))


def _plain(d, header, rows):
    _write(d / "taxi.csv", _text(header, rows, lineterminator="\n"))


def _python_default(d, header, rows):  # csv.writer defaults: \r\n, minimal quoting
    _write(d / "taxi.csv", _text(header, rows))


def _quote_all(d, header, rows):
    _write(d / "taxi.csv", _text(header, rows, quoting=csv.QUOTE_ALL, lineterminator="\n"))


def _quote_nonnumeric(d, header, rows):
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow(header)
    writer.writerows([_typed(r[h]) for h in header] for r in rows)
    _write(d / "taxi.csv", out.getvalue())


def _pandas_default(d, header, rows):  # with pandas' unnamed index column
    d.mkdir(parents=True)
    _frame(header, rows).to_csv(d / "taxi.csv")


def _pandas_quoted(d, header, rows):
    d.mkdir(parents=True)
    _frame(header, rows).to_csv(d / "taxi.csv", index=False, quoting=csv.QUOTE_NONNUMERIC)


def _pandas_semicolon_gzip(d, header, rows):
    d.mkdir(parents=True)
    _frame(header, rows).to_csv(d / "taxi.csv.gz", index=False, sep=";")


def _excel_utf8(d, header, rows):  # "CSV UTF-8": byte-order mark, \r\n
    _write(d / "taxi.csv", "\ufeff" + _text(header, rows))


def _excel_european(d, header, rows):  # semicolons (a comma is the decimal mark there)
    _write(d / "taxi.csv", _text(header, rows, delimiter=";"), "utf-8-sig")


def _unicode_text(d, header, rows):  # spreadsheet "Unicode text": UTF-16 with a mark, tabs
    _write(d / "taxi.csv", _text(header, rows, delimiter="\t"), "utf-16")


def _database_tsv(d, header, rows):  # e.g. psql / mysql batch exports: tabs, \n
    _write(d / "taxi.csv", _text(header, rows, delimiter="\t", lineterminator="\n"))


def _pipe_delimited(d, header, rows):
    _write(d / "taxi.csv", _text(header, rows, delimiter="|", lineterminator="\n"))


def _classic_mac(d, header, rows):  # \r only
    # Written with \r\n and then cut to \r: Python's writer with a "\r" terminator would not
    # quote the field holding a "\n", which a reader then splits.
    _write(d / "taxi.csv", _text(header, rows).replace("\r\n", "\r"))


def _reordered_columns(d, header, rows):
    _write(d / "taxi.csv", _text(header[::-1], rows, lineterminator="\n"))


def _several_files(d, header, rows):  # three files, each with its own column order
    third = len(rows) // 3
    for i, part in enumerate((rows[:third], rows[third : 2 * third], rows[2 * third :])):
        order = header[i:] + header[:i]
        _write(d / f"part-{i}.csv", _text(order, part, lineterminator="\n"))


def _windows_upper_case_name(d, header, rows):
    _write(d / "TAXI.CSV", _text(header, rows))


def _gzip_and_plain(d, header, rows):
    half = len(rows) // 2
    _write(d / "a.csv", _text(header, rows[:half], lineterminator="\n"))
    d.joinpath("b.csv.gz").write_bytes(gzip.compress(_text(header, rows[half:]).encode()))


def _blank_lines_no_final_newline(d, header, rows):
    text = _text(header, rows, lineterminator="\n")
    lines = text.rstrip("\n").split("\n")
    _write(d / "taxi.csv", "\n".join([*lines[:10], "", *lines[10:]]) + "\n\n\n")
    _write(d / "taxi.csv", (d / "taxi.csv").read_text().rstrip("\n"))


DIALECTS = {
    "python csv defaults": _python_default,
    "QUOTE_ALL": _quote_all,
    "QUOTE_NONNUMERIC": _quote_nonnumeric,
    "pandas to_csv with index": _pandas_default,
    "pandas quoted strings": _pandas_quoted,
    "pandas semicolons gzip": _pandas_semicolon_gzip,
    "Excel CSV UTF-8 (BOM, CRLF)": _excel_utf8,
    "European spreadsheet (;)": _excel_european,
    "Unicode text (UTF-16, tabs)": _unicode_text,
    "database export (tabs)": _database_tsv,
    "pipe-delimited": _pipe_delimited,
    "classic Mac (CR)": _classic_mac,
    "columns reordered": _reordered_columns,
    "several files, column orders differ": _several_files,
    "gzip beside plain": _gzip_and_plain,
    "upper-case file name (TAXI.CSV)": _windows_upper_case_name,
    "blank lines, no final newline": _blank_lines_no_final_newline,
}


@pytest.fixture(scope="module")
def plain(tmp_path_factory, table):
    from tfx.components.example_gen.csv_example_gen.executor import _CsvToExample as TfxCsv

    root = tmp_path_factory.mktemp("plain")
    _plain(root / "data", *table)
    ours = _examples(_CsvToExample, root / "data", SPLIT_PATTERN, root / "ours")
    theirs = _examples(TfxCsv, root / "data", "*.csv", root / "theirs")
    return ours, theirs


def test_plain_file_gives_tfx_csv_example_gens_examples(plain, table):
    import tensorflow as tf

    ours, theirs = plain
    assert ours == theirs
    assert len(ours) == len(table[1])
    companies = {
        tf.train.Example.FromString(e).features.feature["company"].bytes_list.value[0]
        for e in ours
        if tf.train.Example.FromString(e).features.feature["company"].bytes_list.value
    }
    assert {b"Taxi, Affiliation Services", b'The "Best" Cab', b"Two\nLines Cab"} <= companies


@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_dialect_gives_the_plain_files_examples(tmp_path, table, plain, dialect):
    DIALECTS[dialect](tmp_path / "data", *table)
    got = _examples(_CsvToExample, tmp_path / "data", SPLIT_PATTERN, tmp_path / "out")
    assert len(got) == len(plain[0])
    assert got == plain[0]
