"""BatchInference: the optional pipeline step of `predict` (`run --predict-data DIR`).

After the Pusher, scores the CSV files of DIR with the model the run pushed (or found already
served), through the same Beam job as `python -m pipeline predict` and on the pipeline's Beam
runner; the scores CSV is the step's InferenceResult artifact. Skipped, and recorded so, when
nothing was pushed.
"""

# No `from __future__ import annotations`: TFX reads this component's type hints at runtime.
import os

import apache_beam as beam
from tfx.dsl.component.experimental.annotations import (
    BeamComponentParameter,
    InputArtifact,
    OutputArtifact,
    Parameter,
)
from tfx.dsl.component.experimental.decorators import component
from tfx.types.standard_artifacts import InferenceResult, PushedModel

SCORES_FILE = "scores.csv"


@component(use_beam=True)
def BatchInference(
    pushed_model: InputArtifact[PushedModel],
    scores: OutputArtifact[InferenceResult],
    data_dir: Parameter[str],
    keys: Parameter[str] = "",
    code_version: Parameter[str] = "",  # keys the cache only (pipeline/code_version.py)
    beam_pipeline: BeamComponentParameter[beam.Pipeline] = None,
) -> None:
    from tfx.dsl.io import fileio

    from components.batch_inference import ScoreCsv, written_rows
    from components.csv_files import is_data_file
    from components.features import CONTRACT

    if not pushed_model.get_int_custom_property("pushed"):
        scores.set_int_custom_property("rows", 0)
        scores.set_string_custom_property("skipped", "nothing was pushed")
        return
    model_dir = pushed_model.get_string_custom_property("pushed_destination")
    files = sorted(f for f in fileio.glob(os.path.join(data_dir, "*")) if is_data_file(f))
    columns = [k for k in keys.split(",") if k]
    target = os.path.join(scores.uri, SCORES_FILE)
    with beam_pipeline as p:
        _ = p | ScoreCsv(files, model_dir, columns, target, CONTRACT)
    scores.set_int_custom_property("rows", written_rows(target))
    scores.set_string_custom_property("model", model_dir)
