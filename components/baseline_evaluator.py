"""TFX's Evaluator that finds its baseline, the latest blessed model, in the cluster's ML Metadata.

For `--target kfp` (open-source Kubeflow Pipelines), which does not run the resolver task that
feeds the Evaluator's `baseline_model` locally and on Vertex (components/metadata_baselines.py).
Everything else is TFX's Evaluator: same inputs, outputs and executor.
"""

from __future__ import annotations

from typing import ClassVar

from tfx.components.evaluator import constants as evaluator_constants
from tfx.components.evaluator import executor as evaluator_executor
from tfx.components.evaluator.component import Evaluator
from tfx.dsl.components.base import executor_spec
from tfx.types import artifact_utils, standard_component_specs
from tfx.types.component_spec import ExecutionParameter

BASELINE_FROM_PIPELINE = "baseline_from_pipeline"
BASELINE_ID_KEY = evaluator_constants.ARTIFACT_PROPERTY_BASELINE_MODEL_ID_KEY
# The baseline's id in the cluster's ML Metadata, as the string KFP names artifacts by.
BASELINE_STORE_ID_KEY = "baseline_model_store_id"


class MetadataBaselineEvaluatorSpec(standard_component_specs.EvaluatorSpec):
    PARAMETERS: ClassVar[dict] = {
        **standard_component_specs.EvaluatorSpec.PARAMETERS,
        # The pipeline whose latest blessed model is the baseline.
        BASELINE_FROM_PIPELINE: ExecutionParameter(type=str),
    }


class MetadataBaselineExecutor(evaluator_executor.Executor):
    def Do(self, input_dict, output_dict, exec_properties):
        exec_properties = dict(exec_properties)
        pipeline_name = exec_properties.pop(BASELINE_FROM_PIPELINE, "")
        key = standard_component_specs.BASELINE_MODEL_KEY
        if not pipeline_name or input_dict.get(key):
            return super().Do(input_dict, output_dict, exec_properties)
        from components import metadata_baselines

        found = metadata_baselines.latest_blessed_model(metadata_baselines.connect(), pipeline_name)
        super().Do({**input_dict, key: [found] if found else []}, output_dict, exec_properties)
        if found:
            # TFX's Kubeflow entrypoint rewrites the blessing's `baseline_model_id` into the
            # runtime name of an input artifact of the task, which a looked-up baseline is not
            # (a KeyError there). The store's id is kept under a name it leaves alone; the
            # baseline's URI stays in `baseline_model`, as TFX writes it.
            blessing = artifact_utils.get_single_instance(
                output_dict[standard_component_specs.BLESSING_KEY]
            )
            del blessing.mlmd_artifact.custom_properties[BASELINE_ID_KEY]
            blessing.set_string_custom_property(BASELINE_STORE_ID_KEY, str(found.id))
        return None


class MetadataBaselineEvaluator(Evaluator):
    # SPEC_CLASS stays TFX's, which Evaluator.__init__ builds; the spec is then widened to ours.
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(MetadataBaselineExecutor)

    def __init__(self, *, baseline_from_pipeline: str, **kwargs):
        super().__init__(**kwargs)
        spec = self.spec
        self.spec = MetadataBaselineEvaluatorSpec(
            **spec.inputs,
            **spec.outputs,
            **spec.exec_properties,
            **{BASELINE_FROM_PIPELINE: baseline_from_pipeline},
        )
