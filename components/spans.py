"""The rolling window of continuous training: data arrives as one folder per delivery
(`DATA/span-1/`, `DATA/span-2/`, ...; `csv_files.span_dirs`). ExampleGen reads the newest span
(TFX resolves `{SPAN}` in its input pattern and records the span number on the Examples
artifact); `LatestSpansStrategy` hands Transform and the Trainer the newest N spans ingested by
this run and earlier ones.
"""

from __future__ import annotations

from tfx.dsl.components.common.resolver import ResolverStrategy


def _span(artifact) -> int:
    return artifact.get_int_custom_property("span")


def _version(artifact) -> int:
    return artifact.get_int_custom_property("version")


class LatestSpansStrategy(ResolverStrategy):
    """The Examples of the `num_spans` newest spans, the newest version of each (a span whose
    files changed is read again as a new version), newest span first."""

    def __init__(self, num_spans: int):
        self._num_spans = num_spans

    def resolve_artifacts(self, store, input_dict):
        del store  # everything needed is on the artifacts
        result = {}
        for key, artifacts in input_dict.items():
            newest: dict[int, object] = {}
            for artifact in artifacts:
                span = _span(artifact)
                if span not in newest or (_version(artifact), artifact.id) > (
                    _version(newest[span]),
                    newest[span].id,
                ):
                    newest[span] = artifact
            spans = sorted(newest, reverse=True)[: self._num_spans]
            result[key] = [newest[s] for s in spans]
        return result
