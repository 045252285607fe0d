"""Deployment targets: `AWSTarget` (Terraform for Lambda, ECS Fargate and Step Functions).

``TARGETS`` maps the names used by ``glacier compile --target`` and ``[tool.glacier] target``
to their classes.
"""

from __future__ import annotations

from glacier.targets.aws import AWSTarget
from glacier.targets.base import Target

#: Targets by name (``--target aws``).
TARGETS: dict[str, type[Target]] = {AWSTarget.name: AWSTarget}

__all__ = ["TARGETS", "AWSTarget", "Target"]
