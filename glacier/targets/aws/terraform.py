"""Terraform JSON for a plan (being written: see the next commits)."""

from __future__ import annotations

from glacier.compile.plan import CompileError, Plan
from glacier.targets.aws.target import AWSOptions


def plan_problems(plan: Plan, options: AWSOptions) -> list[str]:
    """Limits that need the whole plan (none yet beyond the per-task ones)."""
    return []


def render(plan: Plan, options: AWSOptions) -> dict[str, bytes]:
    raise CompileError(["the AWS target cannot render Terraform yet"])
