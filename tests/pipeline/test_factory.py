"""The DAG `create_pipeline(config)` builds, checked without running anything."""

from dataclasses import replace

import pytest

from components import preprocessing, trainer
from components.csv_files import SPLIT_PATTERN
from components.features import CONTRACT
from pipeline import nodes as n
from pipeline.config import local_config
from pipeline.factory import create_pipeline, dotted_path

EXPECTED_NODES = [
    "CsvExampleGen",
    "StatisticsGen",
    "ImportSchemaGen",
    "ExampleValidator",
    "latest_validated_statistics_resolver",
    "DataGate",
    "Transform",
    "Trainer",
    "latest_blessed_model_resolver",
    "Evaluator",
    "ServingCheck",
    "Pusher",
]

# (upstream, downstream) pairs: every data dependency in the DAG.
EXPECTED_EDGES = {
    (n.EXAMPLE_GEN, n.STATISTICS_GEN),
    (n.STATISTICS_GEN, n.EXAMPLE_VALIDATOR),
    (n.SCHEMA_GEN, n.EXAMPLE_VALIDATOR),
    (n.EXAMPLE_VALIDATOR, n.DATA_GATE),
    (n.STATISTICS_GEN, n.DATA_GATE),
    (n.SCHEMA_GEN, n.DATA_GATE),
    (n.STATISTICS_RESOLVER, n.DATA_GATE),
    (n.DATA_GATE, n.TRANSFORM),
    (n.EXAMPLE_GEN, n.TRANSFORM),
    (n.SCHEMA_GEN, n.TRANSFORM),
    (n.TRANSFORM, n.TRAINER),
    (n.SCHEMA_GEN, n.TRAINER),
    (n.EXAMPLE_GEN, n.EVALUATOR),
    (n.TRAINER, n.EVALUATOR),
    (n.MODEL_RESOLVER, n.EVALUATOR),
    (n.TRAINER, n.SERVING_CHECK),
    (n.EXAMPLE_GEN, n.SERVING_CHECK),
    (n.SCHEMA_GEN, n.SERVING_CHECK),
    (n.TRAINER, n.PUSHER),
    (n.EVALUATOR, n.PUSHER),
    (n.SERVING_CHECK, n.PUSHER),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    config = local_config(output_dir=out, train_steps=7, eval_steps=3)
    return config, create_pipeline(config)


def test_components_are_all_there_in_a_runnable_order(built):
    _, p = built
    ids = [c.id for c in p.components]
    assert sorted(ids) == sorted(EXPECTED_NODES)
    for up, down in EXPECTED_EDGES:
        assert ids.index(up) < ids.index(down)


def test_every_node_takes_its_id_from_the_one_list(built):
    _, p = built
    assert sorted(c.id for c in p.components) == sorted(set(n.ALL) - set(n.OPTIONAL))


def test_options_add_a_tuner_before_the_trainer_and_scoring_after_the_push(built):
    config, _ = built
    tuned = create_pipeline(replace(config, tune_trials=4, predict_data_dir="/data/new"))
    assert sorted(c.id for c in tuned.components) == sorted(set(n.ALL) - {n.SPAN_WINDOW})
    edges = {(up.id, c.id) for c in tuned.components for up in c.upstream_nodes}
    assert edges == EXPECTED_EDGES | {
        (n.TRANSFORM, n.TUNER),
        (n.TUNER, n.TRAINER),
        (n.PUSHER, n.BATCH_INFERENCE),
    }
    tuner = {c.id: c for c in tuned.components}[n.TUNER]
    assert tuner.exec_properties["trials"] == 4
    assert tuner.exec_properties["train_steps"] == config.train_steps


def test_no_reader_spells_a_node_id_itself():
    """Readers of runs look nodes up by `pipeline.nodes`, so that renaming a node renames it
    everywhere instead of making the report say it did not run."""
    import ast

    from tests.helpers import REPO_ROOT

    readers = [
        *sorted((REPO_ROOT / "pipeline" / "runs").glob("*.py")),
        REPO_ROOT / "pipeline" / "factory.py",
        REPO_ROOT / "benchmarks" / "run.py",
    ]
    spelled = {
        (path.name, node.value)
        for path in readers
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and node.value in n.ALL
    }
    assert spelled == set()


def test_pusher_is_the_atomic_one(built):
    from components.pusher import Executor

    _, p = built
    pusher = {c.id: c for c in p.components}["Pusher"]
    assert pusher.executor_spec.executor_class is Executor


def test_edges(built):
    _, p = built
    edges = {(up.id, c.id) for c in p.components for up in c.upstream_nodes}
    assert edges == EXPECTED_EDGES


def test_user_code_is_wired_by_derived_paths(built):
    _, p = built
    by_id = {c.id: c for c in p.components}
    assert by_id["Transform"].exec_properties["preprocessing_fn"] == (
        "components.preprocessing.preprocessing_fn"
    )
    assert by_id["Trainer"].exec_properties["run_fn"] == "components.trainer.run_fn"
    assert (
        dotted_path(preprocessing.preprocessing_fn) == "components.preprocessing.preprocessing_fn"
    )
    assert dotted_path(trainer.run_fn) == "components.trainer.run_fn"


def test_config_reaches_the_components(built):
    config, p = built
    by_id = {c.id: c for c in p.components}
    assert by_id["ServingCheck"].exec_properties["max_latency_ms"] == (
        config.thresholds.max_latency_ms
    )
    assert '"num_steps": 7' in by_id["Trainer"].exec_properties["train_args"]
    assert '"num_steps": 3' in by_id["Trainer"].exec_properties["eval_args"]
    assert str(config.serving_dir) in by_id["Pusher"].exec_properties["push_destination"]
    assert by_id["ImportSchemaGen"].exec_properties["schema_file"] == str(config.schema_file)
    assert p.pipeline_info.pipeline_root == str(config.pipeline_root)
    assert p.enable_cache is True
    assert "--direct_running_mode=in_memory" in p.beam_pipeline_args


def test_split_is_two_to_one_by_hash(built):
    _, p = built
    example_gen = {c.id: c for c in p.components}["CsvExampleGen"]
    output_config = example_gen.exec_properties["output_config"]
    assert '"hash_buckets": 2' in output_config and '"hash_buckets": 1' in output_config
    assert f'"pattern": "{SPLIT_PATTERN}"' in example_gen.exec_properties["input_config"]


def test_example_gen_reads_columns_as_the_contract_types_them(built):
    from components.example_gen import FLOAT, INT, STRING, TYPE_NAMES, declared_types

    _, p = built
    example_gen = {c.id: c for c in p.components}["CsvExampleGen"]
    # Through the exec properties' JSON, as the executor receives them.
    declared = declared_types(example_gen.exec_properties)
    assert declared == {n: TYPE_NAMES[t] for n, t in CONTRACT.column_types().items()}
    assert (declared["trip_seconds"], declared["fare"], declared["company"]) == (INT, FLOAT, STRING)
    assert declared["tips"] == FLOAT  # the label's source column


def test_evaluator_thresholds_come_from_config(built):
    config, p = built
    eval_config = {c.id: c for c in p.components}["Evaluator"].exec_properties["eval_config"]
    assert str(config.thresholds.min_auc) in eval_config
    assert "transform_features" in eval_config


def test_factory_is_pure(tmp_path):
    """Building the DAG writes nothing."""
    create_pipeline(local_config(output_dir=tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_trainer_options_from_either_cli_reach_the_trainer_custom_config(tmp_path):
    import json

    from kubeflow.cli import _parser as kubeflow_parser
    from pipeline.cli import _parser as run_parser
    from pipeline.options import model_params

    flags = ["--model-api", "subclassed", "--training-loop", "custom", "--strategy", "mirrored"]
    local = run_parser().parse_args(["run", *flags])
    remote = kubeflow_parser().parse_args(["compile", "--output", "x.json", *flags])
    for args in (local, remote):
        config = local_config(output_dir=tmp_path, model=model_params(args))
        trainer_node = next(c for c in create_pipeline(config).components if c.id == n.TRAINER)
        custom = json.loads(trainer_node.exec_properties["custom_config"])
        assert (custom["model_api"], custom["training_loop"], custom["strategy"]) == (
            "subclassed",
            "custom",
            "mirrored",
        )


def test_span_folders_add_a_window_before_transform_and_warm_start_feeds_the_trainer(built):
    config, _ = built
    spans = create_pipeline(replace(config, spans=True, window=2, warm_start=True))
    by_id = {c.id: c for c in spans.components}
    example_gen = by_id[n.EXAMPLE_GEN]
    assert "span-{SPAN}/" in example_gen.exec_properties["input_config"]
    window = by_id[n.SPAN_WINDOW]
    assert window.exec_properties["source_uri"] == {"num_spans": 2}  # TFX's key for the config
    assert {up.id for up in window.upstream_nodes} == {n.EXAMPLE_GEN}
    # Transform learns from the window; statistics, the gate and the Evaluator see the new span.
    assert {up.id for up in by_id[n.TRANSFORM].upstream_nodes} == {
        n.SPAN_WINDOW,
        n.SCHEMA_GEN,
        n.DATA_GATE,
    }
    assert n.EXAMPLE_GEN in {up.id for up in by_id[n.EVALUATOR].upstream_nodes}
    assert n.MODEL_RESOLVER in {up.id for up in by_id[n.TRAINER].upstream_nodes}
    plain = {c.id: c for c in create_pipeline(config).components}
    assert n.MODEL_RESOLVER not in {up.id for up in plain[n.TRAINER].upstream_nodes}


def test_baselines_from_metadata_drop_the_resolvers_and_keep_every_other_edge(tmp_path):
    """--target kfp: the DataGate and the Evaluator find the baselines themselves (open-source
    KFP runs no resolver tasks); everything else is the same DAG."""
    from components.baseline_evaluator import BASELINE_FROM_PIPELINE, MetadataBaselineExecutor
    from pipeline.config import kubeflow_config

    config = kubeflow_config(pipeline_root="gs://b/r", image="img:1", baselines="metadata")
    dag = create_pipeline(config.validate())
    ids = {c.id for c in dag.components}
    assert ids == set(EXPECTED_NODES) - {n.STATISTICS_RESOLVER, n.MODEL_RESOLVER}
    edges = {(up.id, c.id) for c in dag.components for up in c.upstream_nodes}
    resolved = {e for e in EXPECTED_EDGES if {n.STATISTICS_RESOLVER, n.MODEL_RESOLVER} & set(e)}
    assert edges == EXPECTED_EDGES - resolved
    by_id = {c.id: c for c in dag.components}
    assert by_id[n.DATA_GATE].exec_properties["baseline_from_pipeline"] == config.pipeline_name
    evaluator = by_id[n.EVALUATOR]
    assert evaluator.exec_properties[BASELINE_FROM_PIPELINE] == config.pipeline_name
    assert evaluator.executor_spec.executor_class is MetadataBaselineExecutor
    assert "baseline_model" not in evaluator.inputs


@pytest.mark.parametrize(
    "settings",
    [{}, {"spans": True}, {"warm_start": True}],
    ids=["local", "spans", "warm-start"],
)
def test_baselines_from_metadata_only_where_resolvers_are_not_needed(tmp_path, settings):
    from pipeline.config import kubeflow_config
    from pipeline.errors import ConfigError

    if settings:
        config = kubeflow_config(pipeline_root="gs://b/r", image="i", baselines="metadata")
        config = replace(config, **settings)
    else:
        config = replace(local_config(output_dir=tmp_path), baselines="metadata")
    with pytest.raises(ConfigError, match="need TFX's resolvers"):
        config.validate()
