"""`AWSTarget`: options, limits, and the Terraform it renders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar

from glacier.compile.plan import CompileError, Plan
from glacier.targets.aws import limits
from glacier.targets.base import Target

_LOCAL_CHOICES = ("fargate", "lambda")


@dataclass(frozen=True)
class AWSOptions:
    """Every option of the AWS target, with its default (``[tool.glacier.aws]`` keys)."""

    #: The provider's region; ``None``: Terraform's variable ``region`` (AWS_REGION otherwise).
    region: str | None = None
    #: The image for tasks that declare none (serverless and local tasks).
    python_image: str = "python:3.12-slim"
    #: What ``compute.local()`` (and a task without compute) becomes: ``fargate`` or ``lambda``.
    local: str = "fargate"
    #: Memory (MB) and timeout (s) of a serverless task that does not say.
    lambda_memory: int = limits.DEFAULT_LAMBDA_MEMORY
    lambda_timeout: int = limits.DEFAULT_LAMBDA_TIMEOUT
    #: CloudWatch log retention (days).
    log_retention_days: int = 30
    #: Days after which intermediate datasets (those without storage) expire.
    intermediate_expiration_days: int = 7
    #: Give Fargate tasks a public IP (needed in public subnets without a NAT gateway).
    assign_public_ip: bool = False
    #: The requirement that installs Glacier into images (pin it to the version you test).
    glacier_requirement: str = ""
    #: Tags added to every resource.
    tags: Mapping[str, str] | None = None


_TYPES: dict[str, tuple[type, ...]] = {
    "region": (str,),
    "python_image": (str,),
    "local": (str,),
    "lambda_memory": (int,),
    "lambda_timeout": (int,),
    "log_retention_days": (int,),
    "intermediate_expiration_days": (int,),
    "assign_public_ip": (bool,),
    "glacier_requirement": (str,),
    "tags": (dict,),
}


def validate_options(values: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Check option names and types; returns them with ``tags`` copied.

    Raises:
        CompileError: naming ``where`` and every bad option.
    """
    problems: list[str] = []
    known = [f.name for f in fields(AWSOptions)]
    checked: dict[str, Any] = {}
    for name, given in values.items():
        value: Any = given
        if name not in known:
            problems.append(f"{where}: unknown option `{name}`; known: {', '.join(known)}")
            continue
        types = _TYPES[name]
        wrong_bool = isinstance(value, bool) and bool not in types
        if value is None and name in ("region", "tags"):
            continue
        if wrong_bool or not isinstance(value, types):
            problems.append(
                f"{where}: `{name}` must be {' or '.join(t.__name__ for t in types)}, got {value!r}"
            )
            continue
        if isinstance(value, dict):
            pairs = list(value.items())
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in pairs):
                problems.append(f"{where}: `tags` must map strings to strings, got {value!r}")
                continue
            value = dict(sorted(pairs))
        checked[name] = value
    if "local" in checked and checked["local"] not in _LOCAL_CHOICES:
        problems.append(
            f"{where}: `local` must be one of {', '.join(_LOCAL_CHOICES)}, got {checked['local']!r}"
        )
    memory = checked.get("lambda_memory")
    if memory is not None and not limits.LAMBDA_MIN_MEMORY <= memory <= limits.LAMBDA_MAX_MEMORY:
        problems.append(
            f"{where}: `lambda_memory` must be {limits.LAMBDA_MIN_MEMORY} to "
            f"{limits.LAMBDA_MAX_MEMORY:,} MB, got {memory}"
        )
    timeout = checked.get("lambda_timeout")
    if timeout is not None and not 1 <= timeout <= limits.LAMBDA_MAX_TIMEOUT:
        problems.append(
            f"{where}: `lambda_timeout` must be 1 to {limits.LAMBDA_MAX_TIMEOUT} s, got {timeout}"
        )
    for name in ("log_retention_days", "intermediate_expiration_days"):
        if name in checked and checked[name] < 1:
            problems.append(f"{where}: `{name}` must be at least 1, got {checked[name]}")
    if problems:
        raise CompileError(problems)
    return checked


class AWSTarget(Target):
    """Compile to AWS: Lambda, ECS Fargate, a Step Functions state machine, S3 and IAM.

    Arguments given here override ``[tool.glacier.aws]`` in ``pyproject.toml``; see
    `AWSOptions` for each option and docs/deploy-aws.md for what is generated.

    Raises:
        CompileError: on an unknown option or a bad value.
    """

    name: ClassVar[str] = "aws"

    def __init__(self, region: str | None = None, **options: Any) -> None:
        given = {"region": region, **options} if region is not None else dict(options)
        self._given = validate_options(given, "AWSTarget()")
        self.options = replace(AWSOptions(), **self._given)

    def configured(self, file_options: Mapping[str, Any], where: str) -> AWSTarget:
        from_file = validate_options(file_options, where)
        copy = AWSTarget.__new__(AWSTarget)
        copy._given = {**from_file, **self._given}
        copy.options = replace(AWSOptions(), **copy._given)
        return copy

    @classmethod
    def compute_problems(cls, compute: Mapping[str, Any]) -> list[str]:
        return limits.compute_problems(compute)

    @classmethod
    def storage_problems(cls, storage: Mapping[str, Any]) -> list[str]:
        return limits.storage_problems(storage)

    def problems(self, plan: Plan) -> list[str]:
        from glacier.targets.aws.terraform import plan_problems

        found = super().problems(plan)
        return found or plan_problems(plan, self.options)

    def render(self, plan: Plan) -> dict[str, bytes]:
        from glacier.targets.aws.terraform import render

        files: dict[str, bytes] = render(plan, self.options)
        return files

    def __repr__(self) -> str:
        given = ", ".join(f"{k}={v!r}" for k, v in sorted(self._given.items()))
        return f"AWSTarget({given})"
