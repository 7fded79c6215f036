"""Tuner: a seeded hyperparameter search before the Trainer (`run --tune N`).

TFX's own Tuner runs a KerasTuner `tuner_fn`, and KerasTuner 1.4 refuses tf_keras models (the
Keras 2 that TFX 1.16 trains). This component runs Optuna (any objective function, maintained,
seedable) over the `ModelParams` that matter here: learning rate, layer sizes and batch size;
the first trial is the run's own values. Each trial trains the model the Trainer would build,
on Transform's output, for the trial's steps and scores it on the eval split (AUC for a binary
label, else accuracy), as TFX's penguin example tunes on its eval split. The output is TFX's
HyperParameters artifact, which the Trainer takes as `hyperparameters`: one JSON file with the
best values and every trial, for the report and `inspect`.
"""

# No `from __future__ import annotations`: TFX reads this component's type hints at runtime.
import dataclasses
import json
import os
import tempfile

from tfx.dsl.component.experimental.annotations import InputArtifact, OutputArtifact, Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.types.standard_artifacts import Examples, HyperParameters, TransformGraph

from components.features import CONTRACT
from components.hparams import TUNING_RESULT, ModelParams

HIDDEN_UNITS = ((64, 32), (128, 64), (32, 16), (128, 64, 32))
BATCH_SIZES = (32, 64, 128)
LEARNING_RATES = (1e-4, 3e-2)  # searched on a log scale


def objective_name(contract=CONTRACT) -> str:
    return "val_auc" if contract.label.is_binary else "val_sparse_categorical_accuracy"


def _units(units) -> str:
    return "-".join(str(u) for u in units)


def space(base: ModelParams) -> dict:
    """The choices, always including the run's own values: trial 0 is the untuned model, so the
    search can only pick something that scored at least as well."""
    return {
        "hidden_units": sorted({_units(u) for u in (*HIDDEN_UNITS, base.hidden_units)}),
        "batch_size": sorted({*BATCH_SIZES, base.batch_size}),
    }


def suggest(trial, base: ModelParams) -> ModelParams:
    """The trial's point of the search space, on top of the run's other options."""
    choices = space(base)
    units = trial.suggest_categorical("hidden_units", choices["hidden_units"])
    return dataclasses.replace(
        base,
        learning_rate=trial.suggest_float("learning_rate", *LEARNING_RATES, log=True),
        hidden_units=tuple(int(u) for u in units.split("-")),
        batch_size=trial.suggest_categorical("batch_size", choices["batch_size"]),
    )


def _score(params: ModelParams, fn_args, steps: int, eval_steps: int) -> float:
    import tensorflow as tf
    import tensorflow_transform as tft

    from components.model import build_model
    from components.trainer import input_fn
    from components.training import train_with_fit

    tf.keras.utils.set_random_seed(params.seed)
    transform_output = tft.TFTransformOutput(fn_args.transform_graph_path)
    label = CONTRACT.label.name
    train = input_fn(
        fn_args.train_files, fn_args.data_accessor, transform_output, params.batch_size, label,
        seed=params.seed,
    )  # fmt: skip
    evaluation = input_fn(
        fn_args.eval_files, fn_args.data_accessor, transform_output, params.batch_size, label
    )
    model = build_model(params, contract=CONTRACT)
    with tempfile.TemporaryDirectory(prefix="trial-") as logs:
        results = train_with_fit(model, train, evaluation, steps, eval_steps, logs)
    return results[objective_name()]


def search(fn_args, base: ModelParams, trials: int, steps: int, eval_steps: int) -> dict:
    """{"best": ModelParams fields to use, "objective": name, "trials": [...]}: seeded, so the
    same inputs give the same trials."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=base.seed)
    )
    study.enqueue_trial(
        {
            "learning_rate": base.learning_rate,
            "hidden_units": _units(base.hidden_units),
            "batch_size": base.batch_size,
        }
    )
    study.optimize(
        lambda trial: _score(suggest(trial, base), fn_args, steps, eval_steps), n_trials=trials
    )
    best = suggest(optuna.trial.FixedTrial(study.best_params), base)
    return {
        "objective": objective_name(),
        "best": {
            "learning_rate": best.learning_rate,
            "hidden_units": list(best.hidden_units),
            "batch_size": best.batch_size,
        },
        "best_trial": study.best_trial.number,
        "trials": [
            {"number": t.number, "params": t.params, "value": t.value} for t in study.trials
        ],
    }


@component
def Tuner(
    examples: InputArtifact[Examples],
    transform_graph: InputArtifact[TransformGraph],
    best_hyperparameters: OutputArtifact[HyperParameters],
    model_params: Parameter[str],
    trials: Parameter[int] = 8,
    train_steps: Parameter[int] = 200,
    eval_steps: Parameter[int] = 50,
    code_version: Parameter[str] = "",  # keys the cache only (pipeline/code_version.py)
) -> None:
    from tfx.components.trainer import fn_args_utils
    from tfx.proto import trainer_pb2
    from tfx.types import standard_component_specs as keys
    from tfx.utils import io_utils, proto_utils

    fn_args = fn_args_utils.get_common_fn_args(
        {keys.EXAMPLES_KEY: [examples], keys.TRANSFORM_GRAPH_KEY: [transform_graph]},
        {
            keys.TRAIN_ARGS_KEY: proto_utils.proto_to_json(
                trainer_pb2.TrainArgs(num_steps=train_steps)
            ),
            keys.EVAL_ARGS_KEY: proto_utils.proto_to_json(
                trainer_pb2.EvalArgs(num_steps=eval_steps)
            ),
        },
    )
    base = ModelParams.from_dict(json.loads(model_params))
    found = search(fn_args, base, trials, train_steps, eval_steps)
    io_utils.write_string_file(
        os.path.join(best_hyperparameters.uri, TUNING_RESULT), json.dumps(found, indent=2)
    )
