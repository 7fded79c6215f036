"""The two Kubeflow backends a spec is compiled for, and how to tell from a spec which one it is.

Read in their sources (docs/platform.md, "Kubeflow Pipelines: what the backends accept"):
Vertex AI Pipelines runs TFX's resolver tasks and its deprecated `runtimeValue.constantValue`
parameters; open-source KFP 2.x runs neither (KFP 2.0.5's compiler stops at "non-container and
non-importer executor not implemented", its driver at "param runtime value spec of type ... not
implemented"). So a `kfp`
spec uses pipeline spec 2.1 constants and finds its baselines in ML Metadata at run time.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.errors import ConfigError


@dataclass(frozen=True)
class Target:
    name: str
    backend: str
    baselines: str  # PipelineConfig.baselines
    pipeline_spec_2_1: bool
    # The module every task runs instead of TFX's container entrypoint (None: TFX's own).
    entrypoint: str | None = None


VERTEX = Target("vertex", "Vertex AI Pipelines", baselines="resolver", pipeline_spec_2_1=False)
KFP = Target(
    "kfp",
    "open-source Kubeflow Pipelines 2.x",
    baselines="metadata",
    pipeline_spec_2_1=True,
    entrypoint="kubeflow.entrypoint",
)
TARGETS = {t.name: t for t in (VERTEX, KFP)}


def _has_resolvers(spec: dict) -> bool:
    executors = spec.get("deploymentSpec", {}).get("executors", {}).values()
    return any("resolver" in e for e in executors)


def target_of(spec: dict) -> Target:
    """The target a compiled `pipelineSpec` was made for: resolver tasks only run on Vertex."""
    return VERTEX if _has_resolvers(spec) else KFP


def check_target(spec: dict, backend: Target) -> None:
    """Raises ConfigError, one line saying which --target to compile with, if `spec` was
    compiled for another backend than `backend`."""
    compiled = target_of(spec)
    if compiled == backend:
        return
    why = (
        "it has resolver tasks, which open-source KFP does not run"
        if compiled == VERTEX
        else "it finds its baselines through the cluster's ML Metadata service, which Vertex AI"
        " does not serve"
    )
    raise ConfigError(
        f"this spec was compiled for {compiled.backend} (--target {compiled.name}): {why};"
        f" compile it with --target {backend.name} for {backend.backend}"
    )
