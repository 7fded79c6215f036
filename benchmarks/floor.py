"""The no-orchestration floor: the pipeline's work in one plain script, to measure the pipeline
against. pandas statistics, vocabularies, z-scores and quantile buckets per the feature contract,
the same tf.keras model trained for the same steps on the same batch size, evaluation on a held-out
third, SavedModel export. No TFX, Beam, ML Metadata, schema validation or caching.

    python -m benchmarks.floor --data DIR [--train-steps 1000] [--eval-steps 150]

Prints one JSON line: seconds per stage and in total, eval AUC, rows.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from pipeline.options import tf_environment


def _transform(frame, train, contract, Kind):
    """Model inputs per the contract, with statistics from the training rows only."""
    import numpy as np

    columns = {}
    for f in contract.features:
        values = frame[f.name]
        if f.kind is Kind.DENSE:
            filled = values.fillna(values[train].mean()).astype("float32")
            std = filled[train].std() or 1.0
            columns[f.name] = ((filled - filled[train].mean()) / std).to_numpy("float32")
        elif f.kind is Kind.VOCAB:
            text = values.astype("string")
            vocabulary = text[train].value_counts().index[: f.size]
            ids = {v: i for i, v in enumerate(vocabulary)}
            columns[f.name] = text.map(ids).fillna(f.size).to_numpy("int64")
        elif f.kind is Kind.BUCKET:
            present = values[train].dropna()
            edges = np.quantile(present, np.linspace(0, 1, f.size + 1)[1:-1])
            ids = np.digitize(values.fillna(present.mean()), edges)
            columns[f.name] = np.where(values.isna(), f.size, ids).astype("int64")
        else:
            inside = values.between(0, f.size - 1)
            columns[f.name] = np.where(inside, values.fillna(f.size), f.size).astype("int64")
    return {contract.transformed_name(n): v.reshape(-1, 1) for n, v in columns.items()}


def main() -> None:
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--train-steps", type=int, default=1000)
    parser.add_argument("--eval-steps", type=int, default=150)
    args = parser.parse_args()

    tf_environment()
    import numpy as np
    import pandas as pd
    import tensorflow as tf

    from components.contract import Kind
    from components.features import CONTRACT
    from components.hparams import ModelParams
    from components.model import build_model
    from components.training import without_autograph

    stages = {"import": time.perf_counter() - started}

    mark = time.perf_counter()
    frame = pd.concat(pd.read_csv(p) for p in sorted(args.data.glob("*.csv")))
    frame.describe(include="all")  # the statistics StatisticsGen computes
    train = np.random.default_rng(0).random(len(frame)) < 2 / 3  # ExampleGen's 2:1 split
    stages["read_and_statistics"] = time.perf_counter() - mark

    mark = time.perf_counter()
    inputs = _transform(frame, train, CONTRACT, Kind)
    tips, fare = frame[CONTRACT.label.numerator].fillna(0), frame[CONTRACT.label.denominator]
    label = (fare.notna() & (tips > CONTRACT.label.ratio * fare)).to_numpy("int64").reshape(-1, 1)
    stages["transform"] = time.perf_counter() - mark

    mark = time.perf_counter()
    params = ModelParams()
    tf.keras.utils.set_random_seed(params.seed)

    def dataset(mask):
        return tf.data.Dataset.from_tensor_slices(
            ({k: v[mask] for k, v in inputs.items()}, label[mask])
        )

    model = build_model(params)
    without_autograph(model)  # the pipeline's Trainer does the same (components/training.py)
    model.fit(
        dataset(train).shuffle(10_000, seed=params.seed).repeat().batch(params.batch_size),
        steps_per_epoch=args.train_steps,
        validation_data=dataset(~train).repeat().batch(params.batch_size),
        validation_steps=args.eval_steps,
        verbose=0,
    )
    stages["train"] = time.perf_counter() - mark

    mark = time.perf_counter()
    results = model.evaluate(dataset(~train).batch(1024), verbose=0, return_dict=True)
    stages["evaluate"] = time.perf_counter() - mark

    mark = time.perf_counter()
    with tempfile.TemporaryDirectory() as export:
        tf.saved_model.save(model, export)
    stages["export"] = time.perf_counter() - mark

    print(
        json.dumps(
            {
                "seconds": {k: round(v, 2) for k, v in stages.items()},
                "total_seconds": round(time.perf_counter() - started, 2),
                "auc": round(results["auc"], 4),
                "rows": len(frame),
                "eval_rows": int((~train).sum()),
            }
        )
    )


if __name__ == "__main__":
    main()
