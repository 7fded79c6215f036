"""`create_pipeline(config)`: the one definition of the DAG, for every platform.

Runners only choose where it runs; nothing here reads the environment or touches the disk. Every
node takes its id from `pipeline/nodes.py`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from ml_metadata.proto import metadata_store_pb2

# Direct imports rather than `tfx.v1`, which also loads every extension (the Vertex AI client
# alone is ~7 s of every run's start-up).
from tfx.components import (
    Evaluator,
    ExampleValidator,
    StatisticsGen,
    Trainer,
    Transform,
)
from tfx.components.schema_gen.import_schema_gen.component import ImportSchemaGen
from tfx.dsl.components.common.resolver import Resolver
from tfx.dsl.input_resolution.strategies.latest_artifact_strategy import LatestArtifactStrategy
from tfx.dsl.input_resolution.strategies.latest_blessed_model_strategy import (
    LatestBlessedModelStrategy,
)
from tfx.orchestration.pipeline import Pipeline
from tfx.proto import example_gen_pb2, pusher_pb2, trainer_pb2
from tfx.types import Channel, standard_artifacts

from components import csv_files, preprocessing, trainer
from components import pusher as atomic_pusher
from components.baseline_evaluator import MetadataBaselineEvaluator
from components.batch_step import BatchInference
from components.data_gate import DataGate, ValidatedStatistics
from components.example_gen import CsvExampleGen
from components.features import CONTRACT
from components.hparams import CODE_VERSION
from components.serving_check import ServingCheck
from components.spans import LatestSpansStrategy
from components.tuning import Tuner
from pipeline import nodes
from pipeline.code_version import NODE_MODULES
from pipeline.config import PipelineConfig
from pipeline.evaluation import eval_config


def dotted_path(fn: Callable) -> str:
    """The import path TFX needs for user code, derived so that a rename cannot break it."""
    return f"{fn.__module__}.{fn.__qualname__}"


def _split_config() -> example_gen_pb2.Output:
    # Split by a hash of each row: deterministic across runs, 2:1 train:eval.
    return example_gen_pb2.Output(
        split_config=example_gen_pb2.SplitConfig(
            splits=[
                example_gen_pb2.SplitConfig.Split(name="train", hash_buckets=2),
                example_gen_pb2.SplitConfig.Split(name="eval", hash_buckets=1),
            ]
        )
    )


def create_pipeline(
    config: PipelineConfig,
    metadata_connection_config: metadata_store_pb2.ConnectionConfig | None = None,
) -> Pipeline:
    """The TFX pipeline `config` describes: CsvExampleGen -> StatisticsGen -> ImportSchemaGen ->
    ExampleValidator -> DataGate -> Transform -> Trainer -> Evaluator, ServingCheck -> Pusher,
    with the two baselines (validated statistics, blessed model) of earlier runs, found by TFX's
    resolver nodes or, with `config.baselines == "metadata"` (open-source KFP), by the DataGate
    and the Evaluator in the cluster's ML Metadata; and
    as `config` asks, a span window before Transform, a Tuner before the Trainer, batch scoring
    after the Pusher.

    `metadata_connection_config` is the local runner's store (Kubeflow brings its own). Pure:
    builds objects only, so it can be unit-tested for ids and edges without running anything.
    """
    # Each component's code digest is one of its exec properties: editing the code re-runs it.
    code = {node: config.code_versions.get(node, "") for node in NODE_MODULES}

    # Reads the CSV files (*.csv, *.csv.gz in any case; a README beside the data is ignored) into
    # tf.Examples, in any common dialect; the contract's column types keep pandas' "5.0" an INT.
    # With span-<N> folders (continuous training) it reads the newest span only.
    pattern = csv_files.SPLIT_PATTERN
    if config.spans:
        pattern = f"{csv_files.SPAN_FOLDER}/{pattern}"
    example_gen = CsvExampleGen(
        input_base=config.data_dir,
        output_config=_split_config(),
        column_types=CONTRACT.column_types(),
        split_pattern=pattern,
        code_version=code[nodes.EXAMPLE_GEN],
    ).with_id(nodes.EXAMPLE_GEN)

    # Computes statistics per split, for validation and for anyone inspecting the data.
    statistics_gen = StatisticsGen(examples=example_gen.outputs["examples"]).with_id(
        nodes.STATISTICS_GEN
    )

    # The curated schema is the data contract; importing it (not inferring) keeps it reviewed.
    schema_gen = ImportSchemaGen(schema_file=config.schema_file).with_id(nodes.SCHEMA_GEN)

    # Checks the statistics against the schema and records anomalies.
    example_validator = ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"]
    ).with_id(nodes.EXAMPLE_VALIDATOR)

    # The statistics of the last run whose data passed the gate: the drift baseline. Empty on the
    # first run, when only the schema is checked. With baselines from metadata (open-source KFP)
    # the DataGate looks them up itself.
    from_metadata = config.baselines == "metadata"
    statistics_resolver = None
    if not from_metadata:
        statistics_resolver = Resolver(
            strategy_class=LatestArtifactStrategy,
            statistics=Channel(type=ValidatedStatistics),
        ).with_id(nodes.STATISTICS_RESOLVER)

    # Fails the run on any anomaly or drift, so that nothing downstream trains on bad data.
    data_gate = DataGate(
        anomalies=example_validator.outputs["anomalies"],
        statistics=statistics_gen.outputs["statistics"],
        schema=schema_gen.outputs["schema"],
        code_version=code[nodes.DATA_GATE],
        **(
            {"baseline_from_pipeline": config.pipeline_name}
            if from_metadata
            else {"baseline_statistics": statistics_resolver.outputs["statistics"]}
        ),
    ).with_id(nodes.DATA_GATE)

    # Continuous training: Transform and the Trainer learn from the newest `window` spans, this
    # run's and those earlier runs ingested (StatisticsGen, the gate and the Evaluator look at
    # the new span alone).
    training_examples = example_gen.outputs["examples"]
    span_window = None
    if config.spans:
        span_window = Resolver(
            strategy_class=LatestSpansStrategy,
            config={"num_spans": config.window},
            examples=Channel(
                type=standard_artifacts.Examples,
                producer_component_id=nodes.EXAMPLE_GEN,
                output_key="examples",
            ),
        ).with_id(nodes.SPAN_WINDOW)
        span_window.add_upstream_node(example_gen)
        training_examples = span_window.outputs["examples"]

    # Full-pass feature engineering (means, vocabularies, quantiles) whose graph is exported with
    # the model, so serving applies exactly the training-time transformation.
    transform = Transform(
        examples=training_examples,
        schema=schema_gen.outputs["schema"],
        preprocessing_fn=dotted_path(preprocessing.preprocessing_fn),
        # StatisticsGen and the DataGate already check the raw data; Transform's own pre- and
        # post-transform statistics would be computed for no reader.
        disable_statistics=True,
        # Tracing preprocessing_fn as a TF1 graph instead of a tf.function: Transform takes 12.9 s
        # instead of 18.5 s on the sample, same output (docs/benchmarks.md).
        force_tf_compat_v1=True,
        # preprocessing_fn takes no custom_config, so this only keys the cache.
        custom_config={CODE_VERSION: code[nodes.TRANSFORM]},
    ).with_id(nodes.TRANSFORM)
    transform.add_upstream_node(data_gate)

    # Optional (`run --tune N`): N seeded trials over learning rate, layer sizes and batch size;
    # the Trainer takes the best.
    tuner = None
    if config.tune_trials:
        tuner = Tuner(
            examples=transform.outputs["transformed_examples"],
            transform_graph=transform.outputs["transform_graph"],
            model_params=json.dumps(config.model.to_dict()),
            trials=config.tune_trials,
            train_steps=config.train_steps,
            eval_steps=config.eval_steps,
            code_version=code[nodes.TUNER],
        ).with_id(nodes.TUNER)

    # The latest blessed model is the baseline a new model must not fall behind (and,
    # with --warm-start, the weights the Trainer starts from).
    model_resolver = None
    if not from_metadata:
        model_resolver = Resolver(
            strategy_class=LatestBlessedModelStrategy,
            model=Channel(type=standard_artifacts.Model),
            model_blessing=Channel(type=standard_artifacts.ModelBlessing),
        ).with_id(nodes.MODEL_RESOLVER)

    # Trains the tf.keras model on transformed examples and exports serving signatures.
    trainer_component = Trainer(
        run_fn=dotted_path(trainer.run_fn),
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        schema=schema_gen.outputs["schema"],
        train_args=trainer_pb2.TrainArgs(num_steps=config.train_steps),
        eval_args=trainer_pb2.EvalArgs(num_steps=config.eval_steps),
        custom_config={**config.model.to_dict(), CODE_VERSION: code[nodes.TRAINER]},
        hyperparameters=tuner.outputs["best_hyperparameters"] if tuner else None,
        base_model=model_resolver.outputs["model"] if config.warm_start else None,
    ).with_id(nodes.TRAINER)

    # Scores the model on the eval split, overall and per slice, and blesses it only if it meets
    # the thresholds. It reads raw examples: the model's own signatures apply Transform.
    evaluation_inputs = {
        "examples": example_gen.outputs["examples"],
        "model": trainer_component.outputs["model"],
        "eval_config": eval_config(config.thresholds),
    }
    if from_metadata:
        evaluator = MetadataBaselineEvaluator(
            baseline_from_pipeline=config.pipeline_name, **evaluation_inputs
        ).with_id(nodes.EVALUATOR)
    else:
        evaluator = Evaluator(
            baseline_model=model_resolver.outputs["model"], **evaluation_inputs
        ).with_id(nodes.EVALUATOR)

    # What TFX's InfraValidator does with TF Serving in Docker: loads the model in a process with
    # TensorFlow alone, sends it real and malformed requests, times it, and adds TF Serving's
    # warmup file to a copy of it.
    serving_check = ServingCheck(
        model=trainer_component.outputs["model"],
        examples=example_gen.outputs["examples"],
        schema=schema_gen.outputs["schema"],
        max_latency_ms=config.thresholds.max_latency_ms,
        code_version=code[nodes.SERVING_CHECK],
    ).with_id(nodes.SERVING_CHECK)

    # Copies a model that both checks blessed (with its warmup file) into the serving directory
    # as a new numbered version, atomically and only if it differs from the newest one; otherwise
    # it is recorded as not pushed and the serving directory is left alone.
    pusher = atomic_pusher.Pusher(
        model=trainer_component.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        infra_blessing=serving_check.outputs["blessing"],
        push_destination=pusher_pb2.PushDestination(
            filesystem=pusher_pb2.PushDestination.Filesystem(base_directory=config.serving_dir)
        ),
        custom_config={CODE_VERSION: code[nodes.PUSHER]},
    ).with_id(nodes.PUSHER)

    # Optional (`run --predict-data DIR`): the pushed model scores DIR's CSV files, as
    # `python -m pipeline predict` does, on the pipeline's Beam runner.
    batch_inference = None
    if config.predict_data_dir:
        batch_inference = BatchInference(
            pushed_model=pusher.outputs["pushed_model"],
            data_dir=config.predict_data_dir,
            keys=",".join(config.predict_keys),
            code_version=code[nodes.BATCH_INFERENCE],
        ).with_id(nodes.BATCH_INFERENCE)

    return Pipeline(
        pipeline_name=config.pipeline_name,
        pipeline_root=config.pipeline_root,
        components=[
            example_gen,
            *([span_window] if span_window else []),
            statistics_gen,
            schema_gen,
            example_validator,
            *([statistics_resolver] if statistics_resolver else []),
            data_gate,
            transform,
            *([tuner] if tuner else []),
            trainer_component,
            *([model_resolver] if model_resolver else []),
            evaluator,
            serving_check,
            pusher,
            *([batch_inference] if batch_inference else []),
        ],
        enable_cache=config.enable_cache,
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=config.beam.args(),
    )
