"""Plays the KFP v2 launcher's part for a few tasks of a compiled spec, on this machine.

For a task it builds the ExecutorInput the launcher would hand the container (parameters from the
spec, input artifacts from upstream tasks' ExecutorOutput, output URIs under a pipeline root),
substitutes it for `{{$}}`, and runs the container's command in a subprocess, as TFX's own v2
container tests drive these entrypoints. Object storage is replaced by a local directory, and
paths inside the image (`/pipeline/...`) by this checkout, which the image copies verbatim.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pipeline.config import IMAGE_ROOT
from pipeline.options import tf_environment


class Launcher:
    def __init__(self, spec: dict, root: Path, image_root_on_host: Path):
        self.spec = spec
        self.root = root
        self.image_root_on_host = image_root_on_host
        self.produced: dict[tuple[str, str], dict] = {}
        self.driver_outputs: dict[str, dict] = {}  # what each pre-cache driver wrote

    def _host_path(self, value):
        if isinstance(value, str) and value.startswith(str(IMAGE_ROOT) + "/"):
            return str(self.image_root_on_host) + value[len(str(IMAGE_ROOT)) :]
        return value

    def executor_input(self, task_name: str) -> dict:
        task = self.spec["root"]["dag"]["tasks"][task_name]
        component = self.spec["components"][task["componentRef"]["name"]]
        parameters = {}
        for key, source in task.get("inputs", {}).get("parameters", {}).items():
            value = dict(source["runtimeValue"]["constantValue"])
            if "stringValue" in value:
                value["stringValue"] = self._host_path(value["stringValue"])
            parameters[key] = value
        artifacts = {}
        for key, source in task.get("inputs", {}).get("artifacts", {}).items():
            upstream = source["taskOutputArtifact"]
            produced = self.produced[(upstream["producerTask"], upstream["outputArtifactKey"])]
            artifacts[key] = {"artifacts": [produced]}
        outputs = {}
        task_root = self.root / task_name
        for key, definition in component.get("outputDefinitions", {}).get("artifacts", {}).items():
            outputs[key] = {
                "artifacts": [
                    {
                        "name": f"{task_name}-{key}",
                        "uri": str(task_root / key),
                        "type": definition["artifactType"],
                        "metadata": {},
                    }
                ]
            }
        return {
            "inputs": {"parameters": parameters, "artifacts": artifacts},
            "outputs": {
                "artifacts": outputs,
                "outputFile": str(task_root / "executor_output.json"),
            },
        }

    def _run(self, command: list[str], args: list[str], executor_input: dict) -> None:
        argv = [sys.executable if c == "python" else c for c in command]
        argv += [json.dumps(executor_input) if a == "{{$}}" else a for a in args]
        env = tf_environment(dict(os.environ))
        # Run outside the checkout: modules must come from the installed environment.
        proc = subprocess.run(
            argv, cwd=self.root, env=env, capture_output=True, text=True, timeout=600
        )
        if proc.returncode != 0:
            raise AssertionError(f"{argv[:3]} failed:\n{proc.stderr[-3000:]}")

    def run_task(self, task_name: str) -> dict:
        """Runs the task's pre-cache driver (if any) and executor; returns its ExecutorOutput."""
        task = self.spec["root"]["dag"]["tasks"][task_name]
        component = self.spec["components"][task["componentRef"]["name"]]
        container = self.spec["deploymentSpec"]["executors"][component["executorLabel"]][
            "container"
        ]
        executor_input = self.executor_input(task_name)
        (self.root / task_name).mkdir(parents=True, exist_ok=True)
        if "lifecycle" in container:
            pre = container["lifecycle"]["preCacheCheck"]
            self._run(pre["command"], pre["args"], executor_input)
            output_file = Path(executor_input["outputs"]["outputFile"])
            self.driver_outputs[task_name] = json.loads(output_file.read_text())
        self._run(container["command"], container["args"], executor_input)
        output = json.loads(Path(executor_input["outputs"]["outputFile"]).read_text())
        for key, listed in output.get("artifacts", {}).items():
            declared = executor_input["outputs"]["artifacts"][key]["artifacts"][0]
            self.produced[(task_name, key)] = {**declared, **listed["artifacts"][0]}
        return output
