"""Span folders and the rolling window over the Examples that ExampleGen recorded."""

from tfx.types import standard_artifacts

from components.csv_files import span_dirs
from components.spans import LatestSpansStrategy


def _examples(id_: int, span: int, version: int = 0):
    artifact = standard_artifacts.Examples()
    artifact.id = id_
    artifact.set_int_custom_property("span", span)
    artifact.set_int_custom_property("version", version)
    return artifact


def test_span_folders_are_found_by_number_not_by_name_order(tmp_path):
    for name in ("span-10", "span-2", "span-1", "spam-3", "notes"):
        (tmp_path / name).mkdir()
    (tmp_path / "span-4").write_text("a file, not a folder")
    assert list(span_dirs(tmp_path)) == [1, 2, 10]
    assert span_dirs(tmp_path / "missing") == {}


def test_window_keeps_the_newest_spans_and_the_newest_version_of_each():
    found = [
        _examples(1, span=1),
        _examples(2, span=2),
        _examples(3, span=3),
        _examples(4, span=2, version=1),  # span 2 read again after its files changed
        _examples(5, span=3),  # span 3 read again unchanged (a later artifact)
    ]
    resolved = LatestSpansStrategy(num_spans=2).resolve_artifacts(None, {"examples": found})
    assert [a.id for a in resolved["examples"]] == [5, 4]
    one = LatestSpansStrategy(num_spans=1).resolve_artifacts(None, {"examples": found})
    assert [a.id for a in one["examples"]] == [5]
    wide = LatestSpansStrategy(num_spans=9).resolve_artifacts(None, {"examples": found})
    assert [a.id for a in wide["examples"]] == [5, 4, 1]
