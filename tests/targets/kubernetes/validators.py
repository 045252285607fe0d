"""Validate Kubernetes manifests offline against the published schemas.

- Argo kinds: Argo Workflows' schema as compiled by npm ``@kubernetes-models/argo-workflows``
  (installed by ``scripts/setup.d/argo-schema.sh`` into ``.tools/argo-schema``), run by node.
  That schema allows unknown fields, so every key is also checked against hera's models of
  the same Argo API (a misspelt ``failfast`` would otherwise pass).
- Core kinds (ServiceAccount, Role, RoleBinding, ...): ``kubernetes-validate`` in strict mode;
  each Argo container is checked the same way inside a Pod, so its resources and env are
  held to the core schema too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import kubernetes_validate
from pydantic import BaseModel

REPO = Path(__file__).resolve().parents[3]
ARGO_SCHEMA = REPO / ".tools" / "argo-schema"
KUBERNETES_VERSION = "1.33.0"
ARGO_KINDS = ("Workflow", "WorkflowTemplate", "CronWorkflow", "ClusterWorkflowTemplate")

_ARGO_SCRIPT = """
const base = "@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/";
const kinds = {};
for (const kind of process.argv.slice(1)) kinds[kind] = (await import(base + kind))[kind];
let text = "";
for await (const chunk of process.stdin) text += chunk;
const report = JSON.parse(text).map((doc) => {
  try { new kinds[doc.kind](doc).validate(); return []; }
  catch (error) {
    return (error.errors || [{ instancePath: "", message: String(error) }])
      .map((e) => `${e.instancePath || "/"} ${e.message}`);
  }
});
process.stdout.write(JSON.stringify(report));
"""


def ensure_argo_schema() -> None:
    """Install the pinned Argo schema package if this checkout does not have it yet."""
    script = REPO / "scripts" / "setup.d" / "argo-schema.sh"
    subprocess.run(["bash", str(script)], check=True, env={**os.environ, "ROOT": str(REPO)})


def argo_schema_problems(documents: list[Mapping[str, Any]]) -> list[list[str]]:
    """Each Argo document's problems under Argo's published schema (one node process)."""
    ensure_argo_schema()
    node = shutil.which("node")
    assert node is not None, "node is needed for the Argo schema (apt-get install nodejs)"
    completed = subprocess.run(
        [node, "--input-type=module", "--eval", _ARGO_SCRIPT, *ARGO_KINDS],
        input=json.dumps(list(documents)),
        capture_output=True,
        text=True,
        cwd=ARGO_SCHEMA,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report: list[list[str]] = json.loads(completed.stdout)
    return report


def unknown_fields(model: type[BaseModel], data: Any, where: str = "") -> list[str]:
    """Keys of ``data`` that ``model`` (a hera model of Argo's API) does not define."""
    if not isinstance(data, Mapping):
        return []
    fields = {(info.alias or name): info.annotation for name, info in model.model_fields.items()}
    problems: list[str] = []
    for key, value in data.items():
        if key not in fields:
            problems.append(f"{where}/{key} is not a field of {model.__name__}")
            continue
        problems.extend(_unknown_in(fields[key], value, f"{where}/{key}"))
    return problems


def _unknown_in(annotation: Any, value: Any, where: str) -> list[str]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unknown_in(typing.get_args(annotation)[0], value, where)
    if origin in (typing.Union, types.UnionType):
        models = [a for a in typing.get_args(annotation) if _is_model(a) or typing.get_origin(a)]
        return _unknown_in(models[0], value, where) if len(models) == 1 else []
    if origin is list and isinstance(value, list):
        (item,) = typing.get_args(annotation)
        return [p for i, v in enumerate(value) for p in _unknown_in(item, v, f"{where}/{i}")]
    if origin is dict and isinstance(value, Mapping):
        item = typing.get_args(annotation)[1]
        return [p for k, v in value.items() for p in _unknown_in(item, v, f"{where}/{k}")]
    if _is_model(annotation):
        root = annotation.model_fields.get("root")
        if root is not None:  # a RootModel wraps a plain value
            return _unknown_in(root.annotation, value, where)
        return unknown_fields(annotation, value, where)
    return []


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _hera_model(kind: str) -> type[BaseModel]:
    from hera.workflows import models

    model: type[BaseModel] = getattr(models, kind)
    return model


def core_problems(document: Mapping[str, Any]) -> list[str]:
    """Problems of one core Kubernetes object under ``kubernetes-validate`` (strict)."""
    try:
        kubernetes_validate.validate(dict(document), KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{'/'.join(map(str, error.path))}: {error.message}"]
    return []


def _containers(document: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    for template in document.get("spec", {}).get("templates", []):
        if "container" in template:
            yield template["name"], template["container"]


def manifest_problems(documents: list[Mapping[str, Any]]) -> list[str]:
    """Every problem of every document, each naming its kind and name; empty when all valid."""
    problems: list[str] = []
    argo = [d for d in documents if d.get("kind") in ARGO_KINDS]
    for document, found in zip(argo, argo_schema_problems(argo), strict=True):
        name = f"{document['kind']} {document.get('metadata', {}).get('name')}"
        problems.extend(f"{name}: {p}" for p in found)
        problems.extend(
            f"{name}: {p}" for p in unknown_fields(_hera_model(document["kind"]), document)
        )
        for template, container in _containers(document):
            pod = {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "check"},
                "spec": {"containers": [{"name": "main", **container}]},
            }
            problems.extend(f"{name} template {template}: {p}" for p in core_problems(pod))
    for document in documents:
        if document.get("kind") not in ARGO_KINDS:
            name = f"{document.get('kind')} {document.get('metadata', {}).get('name')}"
            problems.extend(f"{name}: {p}" for p in core_problems(document))
    return problems
