"""The manifests: valid under Argo's and Kubernetes' schemas, with the semantics §4 asks for."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from glacier.compile import CompileError, Plan
from glacier.targets.kubernetes import KubernetesTarget
from glacier.targets.kubernetes.manifests import DAG_TEMPLATE
from glacier.targets.kubernetes.render import manifests, render_files
from tests.targets.kubernetes.plans import plan, task
from tests.targets.kubernetes.validators import manifest_problems

S3 = {"kind": "s3", "bucket": "lake", "prefix": "raw/", "uri": "s3://lake/raw/"}

DIAMOND = plan(
    "shop",
    task("extract", compute={"kind": "serverless", "memory": 512, "timeout": 90.5}),
    task("left", "extract", compute={"kind": "local", "workers": 1}),
    task(
        "right",
        "extract",
        compute={"kind": "container", "image": "spark:3.5", "cpu": 0.5, "memory": 2048},
    ),
    task("join", "left", "right"),
    storage={"d_extract": S3},
)
TARGET = KubernetesTarget(namespace="data", data="s3://lake/glacier/")


def _documents(plan: Plan = DIAMOND, target: KubernetesTarget = TARGET) -> list[Any]:
    files = render_files(plan, target)
    return [
        d
        for path, text in files.items()
        if path.endswith(".yaml")
        for d in yaml.safe_load_all(text)
    ]


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
    assert sorted(render_files(DIAMOND, TARGET)) == [
        "images/runner/Dockerfile",
        "images/runner/Dockerfile.dockerignore",
        "images/spark-3-5/Dockerfile",
        "images/spark-3-5/Dockerfile.dockerignore",
        "kubernetes.tf.json",
        "manifests/rbac.yaml",
        "manifests/workflow-template.yaml",
    ]


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
        {"name": "GLACIER_DEPLOYMENT_URI", "value": "gs://lake/tmp/"},
        {"name": "GLACIER_MODULE", "value": "shop"},
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
    shared = plan("shop", task("load", module="a"), task("load", module="b"))
    steps = _steps(_documents(shared, KubernetesTarget(data="s3://x/")))
    assert set(steps) == {DAG_TEMPLATE, "a-load-2a78aa38", "b-load-1d2a2406"}
    assert manifest_problems(_documents(shared, KubernetesTarget(data="s3://x/"))) == []


def test_long_names_are_shortened_validly() -> None:
    long = plan("p" * 80, task("t" + "_very_long" * 10))
    documents = _documents(long, KubernetesTarget(data="s3://x/"))
    assert manifest_problems(documents) == []
    assert len(documents[-1]["metadata"]["name"]) <= 57


def _container(image: str, **more: Any) -> dict[str, Any]:
    return {"kind": "container", "image": image, "cpu": None, "memory": None, **more}


@pytest.mark.parametrize(
    ("plan", "target", "message"),
    [
        (
            DIAMOND,
            KubernetesTarget(),
            "kubernetes: dataset `d_left`: has no storage; set `data",
        ),
        (
            plan("p", task("a"), storage={"d_a": {"kind": "local", "path": "x"}}),
            TARGET,
            "kubernetes: dataset `d_a`: is stored on a local path, which pods cannot reach",
        ),
        (
            DIAMOND,
            KubernetesTarget(data="s3://x/", max_cpu=0.25),
            "kubernetes: task `right`: asks for 500m CPUs but the largest node has 0.25",
        ),
        (
            DIAMOND,
            KubernetesTarget(data="s3://x/", max_memory=1024),
            "kubernetes: task `right`: asks for 2048Mi of memory but the largest node has 1024Mi",
        ),
        (
            plan("p", task("a", compute=_container("spark", cpu=0.0001))),
            TARGET,
            "kubernetes: task `a`: cpu=0.0001 is below the smallest amount Kubernetes can request",
        ),
        (
            plan("p", task("a", compute=_container("Spark:Latest"))),
            TARGET,
            "kubernetes: task `a`: image `Spark:Latest` is not a valid image reference",
        ),
        (
            plan("p", task("a", secrets=("arn:aws:secretsmanager:eu-west-1:1:secret:db",))),
            TARGET,
            "kubernetes: task `a`: secret `arn:aws:secretsmanager:eu-west-1:1:secret:db` names "
            "a Kubernetes Secret that must be dot-separated lowercase labels",
        ),
        (
            DIAMOND,
            KubernetesTarget(namespace="Data", data="s3://x/"),
            "kubernetes: option namespace `Data` must consist of lowercase",
        ),
        (
            DIAMOND,
            KubernetesTarget(data="/mnt/data"),
            "kubernetes: option data `/mnt/data` must be an object-storage folder",
        ),
        (
            DIAMOND,
            KubernetesTarget(data="s3://x/", secrets={"db-password": "db/password"}),
            "kubernetes: option environment variable `db-password`",
        ),
        (
            DIAMOND,
            KubernetesTarget(data="s3://x/", secrets={"DB": "DB/password"}),
            "kubernetes: option secret `DB/password` of `DB` names a Kubernetes Secret",
        ),
    ],
)
def test_limits_are_compile_errors(plan: Plan, target: KubernetesTarget, message: str) -> None:
    with pytest.raises(CompileError) as raised:
        render_files(plan, target)
    assert any(problem.startswith(message) for problem in raised.value.problems), raised.value


def test_a_declared_image_must_be_valid_even_when_mapped() -> None:
    # Every tool (check, mypy, the editor) reports the declaration without the options.
    bad = plan("p", task("a", compute=_container("Spark:Latest")))
    with pytest.raises(CompileError):
        render_files(bad, KubernetesTarget(data="s3://x/", images={"Spark:Latest": "spark:3"}))


def test_options_from_the_file() -> None:
    target = KubernetesTarget.from_options(
        {"namespace": "data", "data": "s3://x/", "max_cpu": 4, "env": {"B": "2", "A": "1"}}
    )
    assert target.namespace == "data" and target.max_cpu == 4
    assert list(target.env) == ["A", "B"]
    in_code = KubernetesTarget(namespace="staging").configured(
        {"namespace": "data", "image": "r.example.com/runner:1"}, "pyproject.toml"
    )
    assert (in_code.namespace, in_code.image) == ("staging", "r.example.com/runner:1")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"namespaces": "x"}, "pyproject.toml: unknown option `namespaces`; known: namespace,"),
        ({"namespace": 3}, "pyproject.toml: `namespace` must be a non-empty string, got 3"),
        ({"env": {"A": 1}}, "pyproject.toml: `env` must be a table of strings"),
        ({"max_memory": 1.5}, "pyproject.toml: `max_memory` must be a positive integer, got 1.5"),
        ({"max_cpu": True}, "pyproject.toml: `max_cpu` must be a positive number, got True"),
    ],
)
def test_bad_options_name_the_key(options: dict[str, Any], message: str) -> None:
    with pytest.raises(CompileError) as raised:
        KubernetesTarget().configured(options, "pyproject.toml")
    assert raised.value.problems[0].startswith(message)


def test_terraform_wrapper_holds_the_same_objects() -> None:
    text = render_files(DIAMOND, TARGET)["kubernetes.tf.json"]
    resources = json.loads(text)["resource"]["kubernetes_manifest"]
    assert [r["manifest"] for r in resources.values()] == manifests(DIAMOND, TARGET)
    assert resources["workflowtemplate_shop"]["depends_on"] == [
        "kubernetes_manifest.serviceaccount_shop_glacier",
        "kubernetes_manifest.role_shop_executor",
        "kubernetes_manifest.rolebinding_shop_executor",
    ]


def test_output_is_deterministic() -> None:
    assert render_files(DIAMOND, TARGET) == render_files(DIAMOND, TARGET)


def test_one_dockerfile_per_image() -> None:
    files = render_files(DIAMOND, KubernetesTarget(data="gs://lake/tmp/"))
    runner = files["images/runner/Dockerfile"].decode()
    spark = files["images/spark-3-5/Dockerfile"].decode()
    assert "#   shop.extract\n#   shop.left\n#   shop.join\n" in runner
    assert "FROM python:3.12-slim\n" in runner and "FROM spark:3.5\n" in spark
    # S3 for the declared dataset, GCS for the data folder.
    assert "pip install --no-cache-dir 'glacier-pipelines[gcs,s3]==" in spark
    assert "ENV PYTHONPATH=/opt/glacier/project PYTHONUNBUFFERED=1" in spark
    assert "USER 1000:1000\n" in spark
    assert spark.endswith('ENTRYPOINT ["python", "-m", "glacier.cloud.run"]\n')
