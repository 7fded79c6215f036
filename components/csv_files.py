"""CSV files as common tools write them: what ExampleGen reads, independent of Beam and TFX.

Accepted, and read to the same rows: UTF-8 with or without a byte-order mark, UTF-16 with one
(spreadsheet "Unicode text"); `,` `;` tab or `|` as the delimiter (the one that splits the header
into the most columns); any quoting style with `"`; `\\n`, `\\r\\n` or `\\r` line ends; gzip
compression (`.csv.gz`); columns in any order; a leading unnamed column (the index pandas writes by
default), which is skipped.

Rejected with a one-line `CsvFormatError` naming the file (and line): a column named twice or
unnamed (other than first), a row with too few or too many fields, text not in the file's
encoding.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath

DATA_SUFFIXES = (".csv", ".csv.gz")  # in any letter case: `TRIPS.CSV` from Windows tools too
# Matches every data file (and, harmlessly, a few others such as `x.csv.bak`, which the reader
# skips): ExampleGen's cache fingerprint covers exactly the files of its split pattern.
SPLIT_PATTERN = "*.[cC][sS][vV]*"
SPAN_FOLDER = "span-{SPAN}"  # TFX's placeholder for the span number
# ExampleGen's one input split; TFX's data fingerprint (`input_fingerprint`) is named after it.
INPUT_SPLIT = "single_split"
_SPAN_DIR = re.compile(r"span-(\d+)")


def span_dirs(data_dir: Path) -> dict[int, Path]:
    """{span number: folder}, for the folders of `data_dir` named span-<number>."""
    if not data_dir.is_dir():
        return {}
    found = {}
    for path in data_dir.iterdir():
        if path.is_dir() and (match := _SPAN_DIR.fullmatch(path.name)):
            found[int(match.group(1))] = path
    return dict(sorted(found.items()))


DELIMITERS = (",", ";", "\t", "|")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class CsvFormatError(ValueError):
    """A data file that is not a readable table; the message is one line for the user."""


def is_data_file(path: str) -> bool:
    return path.lower().endswith(DATA_SUFFIXES)


def _open_binary(path: str):
    if "://" in path:
        # Object storage (gs://, s3://): Beam's file systems, which also decompress by extension.
        from apache_beam.io.filesystems import FileSystems

        return FileSystems.open(path)
    return gzip.open(path, "rb") if path.lower().endswith(".gz") else open(path, "rb")


def _encoding(head: bytes) -> str:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    return "utf-8"


@dataclass(frozen=True)
class CsvLayout:
    """What the first line of a file says: its encoding, delimiter and column names. `names`
    holds None where a column has no name (it is skipped)."""

    path: str
    encoding: str
    delimiter: str
    names: tuple[str | None, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(n for n in self.names if n is not None)

    def open_binary(self):
        return _open_binary(self.path)

    def open_text(self):
        return io.TextIOWrapper(_open_binary(self.path), encoding=self.encoding, newline="")


def _split_header(line: str) -> tuple[str, list[str]]:
    """The delimiter that splits the header into the most fields (the first listed on a tie),
    and the fields."""
    splits = {d: next(csv.reader([line], delimiter=d)) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: len(splits[d]))
    return best, splits[best]


def read_layout(path: str) -> CsvLayout:
    """The file's layout from its header; CsvFormatError if the header cannot be a table's."""
    with _open_binary(path) as raw:
        head = raw.read(4)
    encoding = _encoding(head)
    try:
        with CsvLayout(path, encoding, ",", ()).open_text() as text:
            line = text.readline().rstrip("\r\n")
    except UnicodeDecodeError as err:
        raise CsvFormatError(
            f"data file {_name(path)} line 1 is not {encoding} text ({err.reason}); "
            "save it as UTF-8"
        ) from None
    if not line.strip():
        raise CsvFormatError(f"data file {_name(path)} has no header line")
    delimiter, cells = _split_header(line)
    names = [c.strip() or None for c in cells]
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        if name is None and i > 1:
            raise CsvFormatError(f"data file {_name(path)}: column {i} has no name in the header")
        if name is None:
            continue  # pandas' unnamed index column
        if name in seen:
            raise CsvFormatError(
                f"data file {_name(path)}: column {name!r} appears twice in the header "
                f"(columns {seen[name]} and {i}); rename one"
            )
        seen[name] = i
    if not seen:
        raise CsvFormatError(f"data file {_name(path)} has no named column in its header")
    return CsvLayout(path, encoding, delimiter, tuple(names))


def file_problem(path: str) -> str | None:
    """A cheap look at the head of a data file, so that the obvious cases get a precise message
    before anything runs: empty, binary, header only, or a header that cannot be a table's.
    Content problems are the schema's job."""
    try:
        with _open_binary(path) as raw:
            head = raw.read(64 * 1024)
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        return f"data file {_name(path)} cannot be read: {exc}"
    if not head.strip():
        return f"data file {_name(path)} is empty"
    encoding = _encoding(head)
    if encoding == "utf-8" and b"\x00" in head:
        return f"data file {_name(path)} is not CSV text (it looks binary)"
    try:
        text = head.decode(encoding)
    except UnicodeDecodeError as err:
        if err.start < len(head) - 3:  # not just a character cut by the 64 KiB boundary
            line = head[: err.start].count(b"\n") + 1
            return (
                f"data file {_name(path)} line {line} is not {encoding} text "
                f"(byte 0x{head[err.start]:02x}); save it as UTF-8"
            )
        text = head[: err.start].decode(encoding)
    if len([line for line in text.splitlines() if line.strip()]) < 2:
        return f"data file {_name(path)} has a header but no data rows"
    try:
        read_layout(path)
    except CsvFormatError as exc:
        return str(exc)
    return None


def same_columns(layouts: list[CsvLayout]) -> None:
    """CsvFormatError naming two files and the columns they disagree on, if any do."""
    first = layouts[0]
    for other in layouts[1:]:
        if set(other.columns) != set(first.columns):
            only_first = sorted(set(first.columns) - set(other.columns))
            only_other = sorted(set(other.columns) - set(first.columns))
            parts = [f"only {_name(first.path)} has {only_first}"] if only_first else []
            parts += [f"only {_name(other.path)} has {only_other}"] if only_other else []
            raise CsvFormatError(
                f"data files {_name(first.path)} and {_name(other.path)} have different "
                f"columns: {'; '.join(parts)}"
            )


def read_rows(layout: CsvLayout, order: tuple[str, ...]) -> Iterator[list[str]]:
    """The data rows of the file, each as its cells in `order` (column names). Blank lines are
    skipped; a row with another number of fields than the header is a CsvFormatError."""
    index = {name: i for i, name in enumerate(layout.names) if name is not None}
    positions = [index[name] for name in order]
    width = len(layout.names)
    with layout.open_text() as text:
        reader = csv.reader(text, delimiter=layout.delimiter)
        line = 1
        try:
            next(reader, None)
            line = reader.line_num + 1
            for cells in reader:
                if len(cells) != width and not (len(cells) <= 1 and not "".join(cells).strip()):
                    raise CsvFormatError(
                        f"data file {_name(layout.path)} line {line}: {len(cells)} field"
                        f"{'s' if len(cells) != 1 else ''} where the header has {width}"
                    )
                if len(cells) == width:
                    yield [cells[p] for p in positions]
                line = reader.line_num + 1
        except UnicodeDecodeError as err:
            raise CsvFormatError(
                f"data file {_name(layout.path)} near line {line} is not {layout.encoding} "
                f"text ({err.reason}); save it as UTF-8"
            ) from None
        except csv.Error as err:
            raise CsvFormatError(f"data file {_name(layout.path)} line {line}: {err}") from None


def _name(path: str) -> str:
    return str(PurePath(path)) if "://" not in path else path
