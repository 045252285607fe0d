"""Run a generated WorkflowTemplate here, the way Argo would run it on a cluster.

Each DAG task runs as a fresh process, in an order its ``depends`` allows, with exactly the
command and environment its container template gives it: plain values as written,
``secretKeyRef`` values from the given secrets (the cluster's Secrets), ``{{workflow.uid}}``
replaced by the run id. ``python`` is this interpreter (the image's Python). A task whose
``depends`` is false is Omitted, as Argo marks it; with ``failFast: false`` the others go on.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_CONDITION = re.compile(r"([a-z0-9-]+)\.(Succeeded|Failed|Skipped|Omitted|Errored)")


@dataclass
class LocalRun:
    """Statuses by DAG task name, in the order the tasks finished, and their output."""

    phases: dict[str, str] = field(default_factory=dict)
    output: dict[str, str] = field(default_factory=dict)
    #: What each task was given, to compare with the manifest.
    commands: dict[str, list[str]] = field(default_factory=dict)
    environments: dict[str, dict[str, str]] = field(default_factory=dict)


def _environment(
    container: Mapping[str, Any], secrets: Mapping[str, Mapping[str, str]]
) -> dict[str, str]:
    env: dict[str, str] = {}
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
        else:
            reference = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = secrets[reference["name"]][reference["key"]]
    return env


def _holds(depends: str | None, phases: Mapping[str, str]) -> bool:
    if not depends:
        return True
    # Only the form the target writes: conjunctions of `task.Phase`.
    terms = [term.strip() for term in depends.split("&&")]
    for term in terms:
        match = _CONDITION.fullmatch(term)
        assert match is not None, f"unexpected depends term {term!r}"
        if phases[match.group(1)] != match.group(2):
            return False
    return True


def run_workflow_template(
    template: Mapping[str, Any],
    *,
    run_id: str,
    secrets: Mapping[str, Mapping[str, str]] = {},
    cwd: Path,
    base_environment: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> LocalRun:
    """Run every DAG task of ``template`` as Argo would; return the phases."""
    spec = template["spec"]
    templates = {t["name"]: t for t in spec["templates"]}
    dag = templates[spec["entrypoint"]]["dag"]
    pending = list(dag["tasks"])
    run = LocalRun()
    referenced = {
        task["name"]: [m.group(1) for m in _CONDITION.finditer(task.get("depends", ""))]
        for task in pending
    }
    while pending:
        ready = next(t for t in pending if all(d in run.phases for d in referenced[t["name"]]))
        pending.remove(ready)
        name = ready["name"]
        if not _holds(ready.get("depends"), run.phases):
            run.phases[name] = "Omitted"
            continue
        container = templates[ready["template"]]["container"]
        command = [part.replace("{{workflow.uid}}", run_id) for part in container["command"]]
        if command[0] == "python":
            command[0] = sys.executable
        environment = _environment(container, secrets)
        run.commands[name] = command
        run.environments[name] = environment
        base = dict(os.environ if base_environment is None else base_environment)
        completed = subprocess.run(
            command,
            env={**base, **environment},
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        run.output[name] = completed.stdout + completed.stderr
        run.phases[name] = "Succeeded" if completed.returncode == 0 else "Failed"
    return run
