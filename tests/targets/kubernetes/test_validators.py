"""The manifest validators catch what they must (so a passing manifest means something)."""

from __future__ import annotations

from typing import Any

from tests.targets.kubernetes.validators import manifest_problems


def _template(**dag: Any) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": "demo"},
        "spec": {
            "entrypoint": "main",
            "templates": [
                {
                    "name": "main",
                    "dag": {"failFast": False, **dag, "tasks": [{"name": "a", "template": "a"}]},
                },
                {
                    "name": "a",
                    "container": {
                        "name": "main",
                        "image": "python:3.12-slim",
                        "command": ["python"],
                        "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}},
                    },
                },
            ],
        },
    }


SERVICE_ACCOUNT = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "glacier"}}


def test_valid_documents_pass() -> None:
    assert manifest_problems([_template(), SERVICE_ACCOUNT]) == []


def test_argo_schema_refuses_wrong_types() -> None:
    problems = manifest_problems([_template(failFast="no")])
    assert any("/dag/failFast must be boolean" in p for p in problems)


def test_unknown_argo_fields_are_refused() -> None:
    problems = manifest_problems([_template(failfast=False)])
    assert (
        "WorkflowTemplate demo: /spec/templates/0/dag/failfast is not a field of DAGTemplate"
        in problems
    )


def test_bad_quantities_are_refused() -> None:
    document = _template()
    document["spec"]["templates"][1]["container"]["resources"]["limits"] = {"cpu": "4 cpus"}
    assert any('must match format "quantity"' in p for p in manifest_problems([document]))


def test_core_kinds_are_strict() -> None:
    problems = manifest_problems([{**SERVICE_ACCOUNT, "secret": []}])
    assert len(problems) == 1 and problems[0].startswith("ServiceAccount glacier:")
    assert "'secret' was unexpected" in problems[0]
