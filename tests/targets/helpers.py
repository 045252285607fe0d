"""Generated Terraform as tests read it: interpolations replaced by plausible values."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"
REGION = "eu-west-1"
#: What each kind of interpolation stands for in a deployed stack.
LIST_VALUES = {"${var.subnet_ids}": ["subnet-0a1b2c"], "${var.security_group_ids}": ["sg-0a1b2c"]}


def interpolated(reference: str, bucket: str) -> str:
    """A plausible value for one ``${...}`` reference (ARNs as long as real ones)."""
    ref = reference[2:-1]
    if ref == "data.aws_partition.current.partition":
        return "aws"
    if ref == "data.aws_caller_identity.current.account_id":
        return ACCOUNT
    if ref == "data.aws_region.current.name":
        return REGION
    if ref in ("aws_s3_bucket.deployment.bucket", "aws_s3_bucket.deployment.id"):
        return bucket
    if ref == "aws_s3_bucket.deployment.arn":
        return f"arn:aws:s3:::{bucket}"
    kind, _, rest = ref.partition(".")
    name = rest.split(".")[0]
    service = {
        "aws_lambda_function": f"lambda:{REGION}:{ACCOUNT}:function:glacier-{name}",
        "aws_ecs_task_definition": f"ecs:{REGION}:{ACCOUNT}:task-definition/glacier-{name}:1",
        "aws_ecs_cluster": f"ecs:{REGION}:{ACCOUNT}:cluster/glacier",
        "aws_iam_role": f"iam::{ACCOUNT}:role/glacier-{name}",
        "aws_kms_key": f"kms:{REGION}:{ACCOUNT}:key/0000-{name}",
        "aws_cloudwatch_log_group": f"logs:{REGION}:{ACCOUNT}:log-group:/glacier/{name}",
        "aws_ecr_repository": f"ecr:{REGION}:{ACCOUNT}:repository/glacier/{name}",
    }.get(kind, f"other:{REGION}:{ACCOUNT}:{name}")
    if ref.endswith(".name"):
        return f"glacier-{name}"
    return f"arn:aws:{service}"


def substitute(value: Any, bucket: str = "glacier-test-deployment") -> Any:
    """``value`` with every Terraform interpolation replaced."""
    if isinstance(value, dict):
        return {k: substitute(v, bucket) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, bucket) for v in value]
    if isinstance(value, str):
        if value in LIST_VALUES:
            return LIST_VALUES[value]
        return re.sub(r"\$\{[^}]*\}", lambda m: interpolated(m.group(), bucket), value)
    return value


def load(directory: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((directory / name).read_text(encoding="utf-8"))
    return data


def definition(directory: Path) -> dict[str, Any]:
    """The state machine definition, interpolations replaced."""
    machine = load(directory, "state_machine.tf.json")
    result: dict[str, Any] = substitute(machine["locals"]["state_machine_definition"])
    return result


def nested_definitions(directory: Path) -> dict[str, dict[str, Any]]:
    """The nested state machines' definitions by ARN, interpolations replaced."""
    machine = load(directory, "state_machine.tf.json")
    found: dict[str, dict[str, Any]] = {}
    for name, value in machine["locals"].items():
        if name.startswith("state_machine_definition_"):
            part = name[len("state_machine_definition_") :]
            arn = interpolated(f"${{aws_sfn_state_machine.{part}.arn}}", "")
            found[arn] = substitute(value)
    return found


def all_states(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every state of a definition by name, those inside Parallel branches included."""
    found: dict[str, dict[str, Any]] = {}
    for name, state in document["States"].items():
        found[name] = state
        for branch in state.get("Branches", []):
            found.update(all_states(branch))
    return found


def policy(directory: Path, task_key: str, bucket: str) -> dict[str, Any]:
    """A task role's policy document, interpolations replaced."""
    iam = load(directory, "iam.tf.json")
    result: dict[str, Any] = substitute(iam["locals"][f"policy_{task_key}"], bucket)
    return result
