"""Run a compiled deployment here: the state machine walked, each task in a fresh process.

Each task runs the way its image would run it: the Lambda handler or ``python -m
glacier.cloud.run`` with the environment the Terraform gives it, the project as working
directory and its import roots on ``PYTHONPATH``, against S3 served by moto.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.compile.helpers import EXAMPLE, ROOT
from tests.targets.asl import Execution, Interpreter, TaskFailed
from tests.targets.helpers import definition, load, nested_definitions, substitute


def copy_example(directory: Path, *, replace: Mapping[str, str] | None = None) -> Path:
    """The design document's complete example as a project of its own; returns its file."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pyproject.toml").write_text("[project]\nname = 'analytics'\n")
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    path = directory / "pipeline.py"
    path.write_text(text, encoding="utf-8")
    return path


def base_environment(endpoint: str, credentials: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "GLACIER_")) and key != "PYTHONPATH"
    }
    env.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            **(credentials or {}),
        }
    )
    return env


class LocalCloud:
    """A compiled deployment (``infra``) of ``project``, with tasks run as subprocesses."""

    def __init__(self, infra: Path, project: Path, endpoint: str, bucket: str) -> None:
        self.infra = infra
        self.project = project
        self.endpoint = endpoint
        self.bucket = bucket
        compute = substitute(load(infra, "compute.tf.json"), bucket)
        self.functions = compute["resource"].get("aws_lambda_function", {})
        self.containers = {
            key[len("containers_") :]: value[0]
            for key, value in compute.get("locals", {}).items()
            if key.startswith("containers_")
        }
        self.exit_codes: dict[str, int] = {}
        self.credentials: dict[str, dict[str, str]] = {}

    def python_path(self, environment: Mapping[str, str]) -> str:
        # The image's PYTHONPATH, with the project where the image has it, and Glacier itself.
        dockerfiles = sorted(self.infra.glob("images/*/Dockerfile"))
        roots: list[str] = []
        for dockerfile in dockerfiles:
            for line in dockerfile.read_text().splitlines():
                if line.startswith("ENV PYTHONPATH="):
                    value = line.split("=", 1)[1].split()[0]
                    roots += value.split(":")
        mapped = [
            r.replace("/opt/glacier/project", str(self.project)) for r in dict.fromkeys(roots)
        ]
        return os.pathsep.join([*mapped, str(ROOT)])

    def invoke(self, state: str, resource: str, parameters: dict[str, Any]) -> None:
        if resource.endswith(":lambda:invoke"):
            key = parameters["FunctionName"].rsplit(":function:glacier-", 1)[1]
            env = dict(self.functions[key]["environment"]["variables"])
            command = [
                sys.executable,
                "-c",
                "import json, sys; from glacier.cloud.aws_lambda import handler; "
                "handler(json.loads(sys.argv[1]), None)",
                json.dumps(parameters["Payload"]),
            ]
        elif resource.endswith(":ecs:runTask.sync"):
            key = parameters["TaskDefinition"].rsplit("task-definition/glacier-", 1)[1][:-2]
            container = self.containers[key]
            env = {item["name"]: item["value"] for item in container["environment"]}
            for override in parameters["Overrides"]["ContainerOverrides"]:
                env.update({item["Name"]: item["Value"] for item in override["Environment"]})
            command = [sys.executable, "-m", "glacier.cloud.run", *container["command"]]
        else:
            raise AssertionError(f"{state}: unexpected resource {resource}")
        full = base_environment(self.endpoint, self.credentials.get(key))
        full.update(env)
        full["PYTHONPATH"] = self.python_path(env)
        result = subprocess.run(
            command, cwd=self.project, env=full, capture_output=True, text=True, timeout=120
        )
        self.exit_codes[key] = result.returncode
        if result.returncode != 0:
            raise TaskFailed("States.TaskFailed", result.stderr[-2000:])

    def execute(self, run_id: str, params: Mapping[str, Any] | None = None) -> Execution:
        document = definition(self.infra)
        document = substitute(document, self.bucket)
        nested = {
            arn: substitute(value, self.bucket)
            for arn, value in nested_definitions(self.infra).items()
        }
        execution_input = {"params": dict(params)} if params else {}
        return Interpreter(document, self.invoke, run_id, execution_input, nested).run()


def statuses(infra: Path, execution: Execution) -> dict[str, str]:
    """Task name -> status, from the states the execution went through: a task's check
    sends it to ``Skip``, its catch to ``Failed``."""
    del infra  # the names of the states say it all
    found: dict[str, str] = {}
    for name in execution.visited:
        verb, _, task = name.partition(" ")
        if verb == "Run":
            found.setdefault(task, "succeeded")
        elif verb == "Failed":
            found[task] = "failed"
        elif verb == "Skip":
            found[task] = "skipped"
    return found


def which(name: str) -> str:
    found = shutil.which(name)
    assert found is not None, name
    return found
