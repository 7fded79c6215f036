"""Deterministic synthetic taxi data at any size, drawn from the bundled sample.

Rows are drawn with replacement from `data/data.csv` (so the joint distribution of the columns,
and with it the label, is the sample's), then the trip's measures are scaled by one random factor
(fare, tips, miles, seconds together: a longer trip of the same kind) so that rows are not exact
copies. Written in chunks: a million rows never sit in memory at once.

    python -m benchmarks.synth --rows 1000000 --out /tmp/taxi-1m [--seed 0]
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "data.csv"
SCALED = ("fare", "tips", "trip_miles")
SCALED_INT = ("trip_seconds",)
CHUNK = 50_000


def _scale(value: str, factor: float, as_int: bool) -> str:
    if value == "":
        return value
    scaled = float(value) * factor
    return str(round(scaled)) if as_int else f"{scaled:.2f}"


def generate(rows: int, out_dir: Path, seed: int = 0) -> Path:
    """Writes `out_dir/taxi.csv` with `rows` rows and the sample's header; returns the file."""
    with open(SAMPLE, newline="") as f:
        reader = csv.DictReader(f)
        header, sample = list(reader.fieldnames), list(reader)
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "taxi.csv"
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        written = 0
        while written < rows:
            chunk = []
            for _ in range(min(CHUNK, rows - written)):
                row = dict(rng.choice(sample))
                factor = rng.uniform(0.9, 1.1)
                for column in SCALED:
                    row[column] = _scale(row[column], factor, as_int=False)
                for column in SCALED_INT:
                    row[column] = _scale(row[column], factor, as_int=True)
                chunk.append(row)
            writer.writerows(chunk)
            written += len(chunk)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(generate(args.rows, args.out, args.seed))


if __name__ == "__main__":
    main()
