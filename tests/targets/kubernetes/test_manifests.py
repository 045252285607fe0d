"""The manifests: valid under Argo's and Kubernetes' schemas, with the semantics §4 asks for."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from glacier.targets.kubernetes import KubernetesCompileError, KubernetesTarget
from glacier.targets.kubernetes.manifests import (
    DAG_TEMPLATE,
    KubernetesPlan,
    PlannedDataset,
    PlannedTask,
)
from glacier.targets.kubernetes.render import kubernetes_files, manifests, terraform_files
from tests.targets.kubernetes.validators import manifest_problems

S3 = {"kind": "s3", "bucket": "lake", "prefix": "raw/", "uri": "s3://lake/raw/"}


def _plan(*tasks: PlannedTask, datasets: tuple[PlannedDataset, ...] = ()) -> KubernetesPlan:
    return KubernetesPlan("shop", tasks, datasets)


def _task(task_id: str, *dependencies: str, compute: dict[str, Any] | None = None) -> PlannedTask:
    return PlannedTask(
        f"shop.{task_id}", task_id, compute, tuple(f"shop.{d}" for d in dependencies)
    )


DIAMOND = _plan(
    _task("extract", compute={"kind": "serverless", "memory": 512, "timeout": 90.5}),
    _task("left", "extract", compute={"kind": "local", "workers": 1}),
    _task(
        "right",
        "extract",
        compute={"kind": "container", "image": "spark:3.5", "cpu": 0.5, "memory": 2048},
    ),
    _task("join", "left", "right"),
    datasets=(PlannedDataset("raw", S3), PlannedDataset("joined", None)),
)
TARGET = KubernetesTarget(namespace="data", data="s3://lake/glacier/")


def _documents(plan: KubernetesPlan = DIAMOND, target: KubernetesTarget = TARGET) -> list[Any]:
    return [d for text in kubernetes_files(plan, target).values() for d in yaml.safe_load_all(text)]


def _steps(documents: list[Any]) -> dict[str, Any]:
    template = next(d for d in documents if d["kind"] == "WorkflowTemplate")
    return {t["name"]: t for t in template["spec"]["templates"]}


def test_every_document_is_valid() -> None:
    documents = _documents()
    assert [d["kind"] for d in documents] == [
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "WorkflowTemplate",
    ]
    assert manifest_problems(documents) == []


def test_the_files_parse_as_the_objects() -> None:
    assert _documents() == manifests(DIAMOND, TARGET)


def test_dag_semantics() -> None:
    steps = _steps(_documents())
    dag = steps[DAG_TEMPLATE]["dag"]
    assert dag["failFast"] is False
    assert [(t["name"], t.get("depends")) for t in dag["tasks"]] == [
        ("extract", None),
        ("left", "extract.Succeeded"),
        ("right", "extract.Succeeded"),
        ("join", "left.Succeeded && right.Succeeded"),
    ]


def test_compute_becomes_image_and_resources() -> None:
    steps = _steps(_documents())
    right = steps["right"]["container"]
    assert right["image"] == "spark:3.5"
    assert right["resources"] == {
        "requests": {"cpu": "500m", "memory": "2048Mi"},
        "limits": {"cpu": "500m", "memory": "2048Mi"},
    }
    extract = steps["extract"]
    assert extract["container"]["image"] == "glacier-runner:latest"
    assert extract["container"]["resources"]["limits"] == {"memory": "512Mi"}
    assert extract["activeDeadlineSeconds"] == 91
    assert "resources" not in steps["left"]["container"]
    assert steps["left"]["container"]["image"] == "glacier-runner:latest"


def test_every_step_runs_the_entry_point() -> None:
    steps = _steps(_documents())
    for name, task_id in [("extract", "shop.extract"), ("join", "shop.join")]:
        assert steps[name]["container"]["command"] == [
            "python",
            "-m",
            "glacier.cloud.run",
            "--task",
            task_id,
            "--run-id",
            "{{workflow.uid}}",
        ]


def test_options_reach_the_objects() -> None:
    target = KubernetesTarget(
        namespace="data",
        image="registry.example.com/shop/runner:1.2",
        data="gs://lake/tmp/",
        images={"spark:3.5": "registry.example.com/shop/spark:3.5"},
        env={"AWS_REGION": "eu-west-1"},
        secrets={"DB_PASSWORD": "orders-db/password", "TOKEN": "api-token"},
        service_account_annotations={
            "iam.gke.io/gcp-service-account": "shop@p.iam.gserviceaccount.com"
        },
    )
    documents = _documents(target=target)
    assert manifest_problems(documents) == []
    assert all(d["metadata"]["namespace"] == "data" for d in documents)
    account = documents[0]
    assert account["metadata"]["annotations"] == {
        "iam.gke.io/gcp-service-account": "shop@p.iam.gserviceaccount.com"
    }
    steps = _steps(documents)
    assert steps["right"]["container"]["image"] == "registry.example.com/shop/spark:3.5"
    assert steps["left"]["container"]["image"] == "registry.example.com/shop/runner:1.2"
    assert steps["left"]["container"]["env"] == [
        {"name": "AWS_REGION", "value": "eu-west-1"},
        {"name": "GLACIER_DATA_URI", "value": "gs://lake/tmp/"},
        {"name": "HOME", "value": "/tmp"},
        {
            "name": "DB_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": "orders-db", "key": "password"}},
        },
        {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "api-token", "key": "value"}}},
    ]


def test_an_existing_service_account_is_bound_not_created() -> None:
    documents = _documents(target=KubernetesTarget(data="s3://x/", service_account="argo-runner"))
    assert [d["kind"] for d in documents] == ["Role", "RoleBinding", "WorkflowTemplate"]
    assert documents[1]["subjects"] == [
        {"kind": "ServiceAccount", "name": "argo-runner", "namespace": "default"}
    ]
    assert documents[2]["spec"]["serviceAccountName"] == "argo-runner"


def test_rbac_is_what_the_executor_needs() -> None:
    role = _documents()[1]
    assert role["rules"] == [
        {
            "apiGroups": ["argoproj.io"],
            "resources": ["workflowtaskresults"],
            "verbs": ["create", "patch"],
        }
    ]


def test_steps_run_without_privileges() -> None:
    documents = _documents()
    spec = documents[-1]["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["serviceAccountName"] != "default"
    for step in _steps(documents).values():
        if "container" in step:
            assert step["container"]["securityContext"]["allowPrivilegeEscalation"] is False
            assert step["container"]["securityContext"]["readOnlyRootFilesystem"] is True


def test_shared_function_names_fall_back_to_ids() -> None:
    plan = _plan(
        PlannedTask("a.load", "load", None, ()), PlannedTask("b.load", "load", None, ("a.load",))
    )
    steps = _steps(_documents(plan, KubernetesTarget(data="s3://x/")))
    assert set(steps) == {DAG_TEMPLATE, "a-load-2a78aa38", "b-load-1d2a2406"}
    assert manifest_problems(_documents(plan, KubernetesTarget(data="s3://x/"))) == []


def test_long_names_are_shortened_validly() -> None:
    name = "t" + "_very_long" * 10
    plan = KubernetesPlan("p" * 80, (PlannedTask(f"m.{name}", name, None, ()),))
    documents = _documents(plan, KubernetesTarget(data="s3://x/"))
    assert manifest_problems(documents) == []
    assert len(documents[-1]["metadata"]["name"]) <= 57


@pytest.mark.parametrize(
    ("plan", "target", "message"),
    [
        (DIAMOND, KubernetesTarget(), "dataset `joined` has no storage; set `data"),
        (
            _plan(_task("a"), datasets=(PlannedDataset("raw", {"kind": "local", "path": "x"}),)),
            TARGET,
            "dataset `raw` is stored on a local path, which pods cannot reach",
        ),
        (
            DIAMOND,
            KubernetesTarget(data="s3://x/", max_cpu=0.25),
            "task `shop.right` asks for 500m CPUs but the largest node has 0.25",
        ),
        (
            DIAMOND,
            KubernetesTarget(data="s3://x/", max_memory=1024),
            "task `shop.right` asks for 2048Mi of memory",
        ),
        (
            _plan(_task("a", compute={"kind": "container", "image": "spark", "cpu": 0.0001})),
            TARGET,
            "needs at least 0.001",
        ),
        (
            _plan(_task("a", compute={"kind": "container", "image": "Spark:Latest"})),
            TARGET,
            "runs image `Spark:Latest`, which is not a valid image reference",
        ),
        (
            DIAMOND,
            KubernetesTarget(namespace="Data", data="s3://x/"),
            "namespace `Data` must consist of lowercase",
        ),
        (
            DIAMOND,
            KubernetesTarget(data="/mnt/data"),
            "data `/mnt/data` must be an object-storage folder",
        ),
        (
            DIAMOND,
            KubernetesTarget(data="s3://x/", secrets={"db-password": "db/password"}),
            "environment variable `db-password`",
        ),
        (
            DIAMOND,
            KubernetesTarget(data="s3://x/", secrets={"DB": "DB/password"}),
            "secret `DB/password` of `DB` names a Kubernetes Secret",
        ),
    ],
)
def test_limits_are_compile_errors(
    plan: KubernetesPlan, target: KubernetesTarget, message: str
) -> None:
    with pytest.raises(KubernetesCompileError) as raised:
        kubernetes_files(plan, target)
    assert message in str(raised.value)
    assert any(message in p.message for p in raised.value.problems)


def test_terraform_wrapper_holds_the_same_objects() -> None:
    import json

    (text,) = terraform_files(DIAMOND, TARGET).values()
    resources = json.loads(text)["resource"]["kubernetes_manifest"]
    assert [r["manifest"] for r in resources.values()] == manifests(DIAMOND, TARGET)
    assert resources["workflowtemplate_shop"]["depends_on"] == [
        "kubernetes_manifest.serviceaccount_shop_glacier",
        "kubernetes_manifest.role_shop_executor",
        "kubernetes_manifest.rolebinding_shop_executor",
    ]


def test_output_is_deterministic() -> None:
    assert kubernetes_files(DIAMOND, TARGET) == kubernetes_files(DIAMOND, TARGET)
    assert terraform_files(DIAMOND, TARGET) == terraform_files(DIAMOND, TARGET)
