"""Secrets by reference: the environment variable a secret is given in, and fetching it."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable


def secret_variable(secret: str) -> str:
    """The environment variable a secret reaches the task in: its last name part, upper case.

    >>> secret_variable("arn:aws:secretsmanager:eu-west-1:1:secret:prod/db-password-AbCdEf")
    'DB_PASSWORD_ABCDEF'
    >>> secret_variable("prod/api_token")
    'API_TOKEN'
    """
    last = re.split(r"[:/]", secret)[-1]
    return re.sub(r"[^A-Za-z0-9]+", "_", last).strip("_").upper() or "SECRET"


def load_secrets(secrets: Iterable[str]) -> None:
    """Fetch each secret from AWS Secrets Manager into its environment variable.

    A variable that is already set wins (ECS sets them itself). Needs boto3 (in Lambda's
    runtime and the ``s3`` extra).
    """
    missing = [s for s in secrets if secret_variable(s) not in os.environ]
    if not missing:
        return
    import boto3  # type: ignore[import-untyped]

    client = boto3.client("secretsmanager")
    for secret in missing:
        value = client.get_secret_value(SecretId=secret)
        os.environ[secret_variable(secret)] = value.get("SecretString") or ""
