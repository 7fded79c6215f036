"""Reading and writing compiled spec files; light enough for the CLI's fast paths."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import yaml


def write_spec(job: dict, output: Path) -> None:
    """JSON: the whole PipelineJob (Vertex reads it as is). YAML: the PipelineSpec alone, the
    format `kfp` uploads. Written to a temporary file and renamed, so no half-written spec."""
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.suffix in (".yaml", ".yml"):
        text = yaml.safe_dump(job["pipelineSpec"], sort_keys=True)
    else:
        text = json.dumps(job, indent=2, sort_keys=True)
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, output)


def read_spec(path: Path) -> tuple[dict, str | None]:
    """Returns (PipelineSpec dict, pipeline root) from a compiled JSON or YAML file."""
    doc = yaml.safe_load(path.read_text())  # JSON is YAML
    if not isinstance(doc, dict):
        raise ValueError(f"{path} is not a pipeline spec")
    spec = doc.get("pipelineSpec", doc)
    if "root" not in spec or "deploymentSpec" not in spec:
        raise ValueError(f"{path} is not a compiled KFP v2 pipeline spec")
    root = doc.get("runtimeConfig", {}).get("gcsOutputDirectory") or spec.get("defaultPipelineRoot")
    return spec, root
