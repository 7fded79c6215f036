"""TFX's Evaluator that finds its baseline, the latest blessed model, in the cluster's ML Metadata.

For `--target kfp` (open-source Kubeflow Pipelines), which does not run the resolver task that
feeds the Evaluator's `baseline_model` locally and on Vertex (components/metadata_baselines.py).
Everything else is TFX's Evaluator: same inputs, outputs and executor.
"""

from __future__ import annotations

from typing import ClassVar

from tfx.components.evaluator import executor as evaluator_executor
from tfx.components.evaluator.component import Evaluator
from tfx.dsl.components.base import executor_spec
from tfx.types import standard_component_specs
from tfx.types.component_spec import ExecutionParameter

BASELINE_FROM_PIPELINE = "baseline_from_pipeline"


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
        if pipeline_name and not input_dict.get(key):
            from components import metadata_baselines

            found = metadata_baselines.latest_blessed_model(
                metadata_baselines.connect(), pipeline_name
            )
            input_dict = {**input_dict, key: [found] if found else []}
        return super().Do(input_dict, output_dict, exec_properties)


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
