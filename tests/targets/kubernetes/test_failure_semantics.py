"""A failed step skips exactly its dependents; independent branches finish (failFast: false)."""

from __future__ import annotations

import copy
from pathlib import Path

from glacier.targets.kubernetes.render import manifests
from glacier.targets.kubernetes.target import KubernetesTarget
from tests.targets.kubernetes.argo_local import run_workflow_template
from tests.targets.kubernetes.plans import plan, task

PLAN = plan(
    "p",
    task("a", module="p"),
    task("b", "a", module="p"),
    task("c", "a", module="p"),
    task("d", "b", module="p"),
    task("e", "d", "c", module="p"),
    task("f", module="p"),
)


def test_failure_skips_exactly_the_dependents(tmp_path: Path) -> None:
    template = copy.deepcopy(manifests(PLAN, KubernetesTarget(data="s3://lake/")))[-1]
    for step in template["spec"]["templates"]:
        if "container" in step:
            # Same environment and run id as the real command; `b` fails.
            code = "import sys; sys.exit(1 if sys.argv[1] == 'p.b' else 0)"
            task_id = step["container"]["command"][4]
            step["container"]["command"] = ["python", "-c", code, task_id, "{{workflow.uid}}"]
    run = run_workflow_template(template, run_id="r1", cwd=tmp_path)
    assert run.phases == {
        "a": "Succeeded",
        "b": "Failed",
        "c": "Succeeded",
        "d": "Omitted",
        "e": "Omitted",
        "f": "Succeeded",
    }
    assert run.commands["c"][-1] == "r1"
    assert run.environments["c"]["GLACIER_DEPLOYMENT_URI"] == "s3://lake/"
