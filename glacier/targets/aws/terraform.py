"""Terraform JSON (``*.tf.json``) and Dockerfiles for a plan on AWS.

Files: ``main.tf.json`` (provider, tags, lookups), ``variables.tf.json``,
``outputs.tf.json``, ``storage.tf.json`` (the deployment bucket and its key),
``images.tf.json`` (ECR), ``compute.tf.json`` (Lambda, ECS Fargate, log groups),
``iam.tf.json`` (one role per task, least privilege), ``state_machine.tf.json`` and
``images/<image>/Dockerfile``. Policies and the state machine definition are Terraform
locals holding plain JSON objects, so tests read them without Terraform.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from glacier.cloud.locations import INTERMEDIATE_PREFIX, intermediate_prefix
from glacier.cloud.secrets import secret_variable
from glacier.compile.plan import Plan, PlannedDataset, PlannedTask
from glacier.distribution import DISTRIBUTION
from glacier.targets.aws import limits, state_machine
from glacier.targets.aws.names import (
    BUCKET_PREFIX_LIMIT,
    IAM_ROLE_NAME_LIMIT,
    LAMBDA_NAME_LIMIT,
    STATE_MACHINE_NAME_LIMIT,
    label,
    shorten,
    slug,
    unique_labels,
)
from glacier.targets.aws.target import AWSOptions

#: Where the project is copied inside every image.
PROJECT_DIR = "/opt/glacier/project"
CONTAINER_NAME = "task"
LAMBDA_HANDLER = "glacier.cloud.aws_lambda.handler"
#: The runtime interface client that lets a plain Python image run on Lambda.
LAMBDA_RUNTIME_CLIENT = "awslambdaric==4.2.2"
PARTITION = "${data.aws_partition.current.partition}"
ACCOUNT = "${data.aws_caller_identity.current.account_id}"
REGION = "${data.aws_region.current.name}"
BUCKET = "${aws_s3_bucket.deployment.bucket}"
BUCKET_ARN = "${aws_s3_bucket.deployment.arn}"
KEY_ARN = "${aws_kms_key.deployment.arn}"


@dataclass(frozen=True)
class Location:
    """Where a dataset's folder is: a bucket (literal or the deployment bucket) and a prefix."""

    bucket: str
    prefix: str
    #: Whether it is in the deployment bucket (per execution, encrypted with its key).
    intermediate: bool

    @property
    def bucket_arn(self) -> str:
        return BUCKET_ARN if self.intermediate else f"arn:{PARTITION}:s3:::{self.bucket}"


def location_of(dataset: PlannedDataset) -> Location:
    """The S3 folder of a dataset: its declared storage, else the deployment bucket."""
    if dataset.storage is None:
        return Location(BUCKET, intermediate_prefix(dataset.name), True)
    uri = str(dataset.storage.get("uri", ""))
    match = re.fullmatch(r"s3://([^/]+)/?(.*)", uri)
    if match is None:  # unreachable: storage_problems refuses anything but S3
        raise ValueError(f"not an S3 location: {uri}")
    prefix = match.group(2)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return Location(match.group(1), prefix, False)


def runs_on_lambda(task: PlannedTask, options: AWSOptions) -> bool:
    kind = task.compute.get("kind")
    return kind == "serverless" or (kind == "local" and options.local == "lambda")


def image_of(task: PlannedTask, options: AWSOptions) -> str:
    image = task.compute.get("image") if task.compute.get("kind") == "container" else None
    return str(image or options.python_image)


#: The state an execution keeps: per task about this many bytes of status (more for a
#: failed one, which names the task and its error), within Step Functions' 256 KB payload.
STATUS_BYTES = 48
PAYLOAD_LIMIT = 262_144


def plan_problems(plan: Plan, options: AWSOptions) -> list[str]:
    """Limits of the whole deployment: the statuses an execution keeps in its state.

    The definition's size and the history's length have no limit of their own: parts of
    a large pipeline run as nested state machines.
    """
    del options  # every target option fits the same statuses
    payload = 2048 + sum(STATUS_BYTES + len(task.name) for task in plan.tasks)
    if payload > PAYLOAD_LIMIT:
        return [
            f"pipeline `{plan.pipeline}` has {len(plan.tasks):,} tasks, whose statuses (about "
            f"{payload // 1024:,} KB) pass the 256 KB a Step Functions execution may keep in "
            "its state; split it into pipelines of a few thousand tasks"
        ]
    return []


#: The most characters a Terraform reference in the definition becomes: an ARN, except
#: for the partition (``aws-us-gov`` at most).
_REFERENCE_SIZE = 130
_PARTITION_SIZE = 10


def definition_size(document: Mapping[str, Any]) -> int:
    """An upper estimate of the definition's size once Terraform fills in the ARNs."""
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    references = re.findall(r"\$\{[^}]*\}", text)
    return len(text.encode()) + sum(
        (_PARTITION_SIZE if r == PARTITION else _REFERENCE_SIZE) - len(r) for r in references
    )


class _Renderer:
    def __init__(self, plan: Plan, options: AWSOptions) -> None:
        self.plan = plan
        self.options = options
        self.base = shorten(f"glacier-{slug(plan.pipeline)}", 40)
        self.keys = unique_labels((t.id, t.name) for t in plan.tasks)
        images = list(dict.fromkeys(image_of(t, options) for t in plan.tasks))
        self.image_keys = unique_labels((image, slug(image)) for image in images)
        self.locations = {d.name: location_of(d) for d in plan.datasets}
        self.lambda_tasks = [t for t in plan.tasks if runs_on_lambda(t, options)]
        self.ecs_tasks = [t for t in plan.tasks if not runs_on_lambda(t, options)]

    # -- names -------------------------------------------------------------------------

    def name(self, task: PlannedTask, suffix: str = "", limit: int = LAMBDA_NAME_LIMIT) -> str:
        return shorten(f"{self.base}-{slug(task.name)}{suffix}", limit)

    def image_key(self, task: PlannedTask) -> str:
        return self.image_keys[image_of(task, self.options)]

    def image_uri(self, task: PlannedTask) -> str:
        key = self.image_key(task)
        return f"${{aws_ecr_repository.{key}.repository_url}}@${{var.image_digest_{key}}}"

    def environment(self, task: PlannedTask) -> dict[str, str]:
        env = {
            "GLACIER_TASK": task.id,
            "GLACIER_MODULE": task.module,
            "GLACIER_DEPLOYMENT_URI": f"s3://{BUCKET}/",
        }
        secrets = self.secrets(task)
        if secrets and runs_on_lambda(task, self.options):
            env["GLACIER_SECRETS"] = json.dumps(secrets)
        return env

    def secrets(self, task: PlannedTask) -> list[str]:
        return [str(s) for s in task.options.get("secrets", ()) or ()]

    def secret_arn(self, secret: str) -> str:
        if secret.startswith("arn:"):
            return secret
        return f"${{data.aws_secretsmanager_secret.{self.secret_key(secret)}.arn}}"

    @staticmethod
    def secret_key(secret: str) -> str:
        return label(f"secret_{secret}")

    # -- files -------------------------------------------------------------------------

    def files(self) -> dict[str, bytes]:
        files = {
            "versions.tf.json": self.versions(),
            "main.tf.json": self.main(),
            "variables.tf.json": self.variables(),
            "outputs.tf.json": self.outputs(),
            "storage.tf.json": self.storage(),
            "images.tf.json": self.images(),
            "compute.tf.json": self.compute(),
            "iam.tf.json": self.iam(),
            "state_machine.tf.json": self.state_machine(),
        }
        rendered = {path: _json(content) for path, content in files.items()}
        for image, key in self.image_keys.items():
            rendered[f"images/{key}/Dockerfile"] = self.dockerfile(image, key).encode()
            rendered[f"images/{key}/Dockerfile.dockerignore"] = _DOCKERIGNORE.encode()
        return rendered

    def versions(self) -> dict[str, Any]:
        return {
            "terraform": {
                "required_version": ">= 1.6",
                "required_providers": {
                    "aws": {"source": "hashicorp/aws", "version": ">= 5.70, < 6.0"}
                },
            }
        }

    def main(self) -> dict[str, Any]:
        tags = {"glacier-pipeline": self.plan.pipeline, "managed-by": "glacier"}
        tags.update(self.options.tags or {})
        data: dict[str, Any] = {
            "aws_partition": {"current": {}},
            "aws_caller_identity": {"current": {}},
            "aws_region": {"current": {}},
        }
        secrets = sorted({s for t in self.plan.tasks for s in self.secrets(t)})
        named = {self.secret_key(s): {"name": s} for s in secrets if not s.startswith("arn:")}
        if named:
            data["aws_secretsmanager_secret"] = named
        return {
            "provider": {
                "aws": {"region": "${var.region}", "default_tags": {"tags": "${local.tags}"}}
            },
            "locals": {"tags": "${merge(var.tags, local.glacier_tags)}", "glacier_tags": tags},
            "data": data,
        }

    def variables(self) -> dict[str, Any]:
        variables: dict[str, Any] = {
            "region": {
                "type": "string",
                "description": "AWS region (null: the provider's default, e.g. AWS_REGION)",
                "default": self.options.region,
            },
            "tags": {
                "type": "map(string)",
                "description": "Tags for every resource",
                "default": {},
            },
            "log_retention_days": {
                "type": "number",
                "description": "Days CloudWatch keeps the tasks' and state machine's logs",
                "default": self.options.log_retention_days,
            },
            "intermediate_expiration_days": {
                "type": "number",
                "description": "Days after which datasets without storage expire",
                "default": self.options.intermediate_expiration_days,
            },
        }
        for image, key in self.image_keys.items():
            variables[f"image_digest_{key}"] = {
                "type": "string",
                "description": f"Digest (sha256:...) of the pushed image built from "
                f"images/{key}/Dockerfile ({image})",
                "validation": [
                    {
                        "condition": f'${{can(regex("^sha256:[0-9a-f]{{64}}$", '
                        f"var.image_digest_{key}))}}",
                        "error_message": "Give the image digest, sha256: and 64 hex digits.",
                    }
                ],
            }
        if self.ecs_tasks:
            variables["subnet_ids"] = {
                "type": "list(string)",
                "description": "Subnets for the Fargate tasks (private, with a route to S3 "
                "and ECR)",
            }
            variables["security_group_ids"] = {
                "type": "list(string)",
                "description": "Security groups for the Fargate tasks (outbound HTTPS)",
            }
        return {"variable": variables}

    def outputs(self) -> dict[str, Any]:
        outputs: dict[str, Any] = {
            "state_machine_arn": {
                "description": "Start an execution of the pipeline with this ARN",
                "value": "${aws_sfn_state_machine.pipeline.arn}",
            },
            "deployment_bucket": {
                "description": "The bucket that holds datasets without storage",
                "value": "${aws_s3_bucket.deployment.bucket}",
            },
            "image_repositories": {
                "description": "Where to push each image (by the folder under images/)",
                "value": {
                    key: f"${{aws_ecr_repository.{key}.repository_url}}"
                    for key in self.image_keys.values()
                },
            },
        }
        if self.ecs_tasks:
            outputs["ecs_cluster_arn"] = {"value": "${aws_ecs_cluster.pipeline.arn}"}
        return {"output": outputs}

    def storage(self) -> dict[str, Any]:
        bucket = "${aws_s3_bucket.deployment.id}"
        deny_insecure = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
        key_policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministersTheKey",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{PARTITION}:iam::{ACCOUNT}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchLogsEncryptsTheLogGroups",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{REGION}.amazonaws.com"},
                    "Action": [
                        "kms:Decrypt*",
                        "kms:Describe*",
                        "kms:Encrypt*",
                        "kms:GenerateDataKey*",
                        "kms:ReEncrypt*",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "ArnLike": {
                            "kms:EncryptionContext:aws:logs:arn": (
                                f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:*"
                            )
                        }
                    },
                },
            ],
        }
        return {
            "locals": {"bucket_policy": deny_insecure, "key_policy": key_policy},
            "resource": {
                "aws_kms_key": {
                    "deployment": {
                        "description": f"Glacier pipeline {self.plan.pipeline}: its datasets",
                        "enable_key_rotation": True,
                        "deletion_window_in_days": 30,
                        "policy": "${jsonencode(local.key_policy)}",
                    }
                },
                "aws_kms_alias": {
                    "deployment": {
                        "name": f"alias/{self.base}",
                        "target_key_id": "${aws_kms_key.deployment.key_id}",
                    }
                },
                "aws_s3_bucket": {
                    "deployment": {
                        "bucket_prefix": shorten(self.base, BUCKET_PREFIX_LIMIT - 1) + "-",
                        "force_destroy": False,
                    }
                },
                "aws_s3_bucket_public_access_block": {
                    "deployment": {
                        "bucket": bucket,
                        "block_public_acls": True,
                        "block_public_policy": True,
                        "ignore_public_acls": True,
                        "restrict_public_buckets": True,
                    }
                },
                "aws_s3_bucket_ownership_controls": {
                    "deployment": {
                        "bucket": bucket,
                        "rule": {"object_ownership": "BucketOwnerEnforced"},
                    }
                },
                "aws_s3_bucket_server_side_encryption_configuration": {
                    "deployment": {
                        "bucket": bucket,
                        "rule": {
                            "apply_server_side_encryption_by_default": {
                                "sse_algorithm": "aws:kms",
                                "kms_master_key_id": KEY_ARN,
                            },
                            "bucket_key_enabled": True,
                        },
                    }
                },
                "aws_s3_bucket_versioning": {
                    "deployment": {
                        "bucket": bucket,
                        "versioning_configuration": {"status": "Enabled"},
                    }
                },
                "aws_s3_bucket_lifecycle_configuration": {
                    "deployment": {
                        "bucket": bucket,
                        "rule": [
                            {
                                "id": "expire-intermediate-datasets",
                                "status": "Enabled",
                                "filter": {"prefix": INTERMEDIATE_PREFIX},
                                "expiration": {"days": "${var.intermediate_expiration_days}"},
                                "noncurrent_version_expiration": {"noncurrent_days": 1},
                            },
                            {
                                "id": "abort-incomplete-uploads",
                                "status": "Enabled",
                                "filter": {"prefix": ""},
                                "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                            },
                        ],
                    }
                },
                "aws_s3_bucket_policy": {
                    "deployment": {
                        "bucket": bucket,
                        "policy": "${jsonencode(local.bucket_policy)}",
                        "depends_on": ["aws_s3_bucket_public_access_block.deployment"],
                    }
                },
            },
        }

    def images(self) -> dict[str, Any]:
        repositories = {
            key: {
                "name": f"{self.base}/{key.replace('_', '-')}",
                "image_tag_mutability": "IMMUTABLE",
                "image_scanning_configuration": {"scan_on_push": True},
                "encryption_configuration": {"encryption_type": "KMS"},
                "force_delete": False,
            }
            for key in self.image_keys.values()
        }
        return {"resource": {"aws_ecr_repository": repositories}}

    def compute(self) -> dict[str, Any]:
        resources: dict[str, Any] = {}
        log_groups: dict[str, Any] = {}
        functions: dict[str, Any] = {}
        for task in self.lambda_tasks:
            key = self.keys[task.id]
            name = self.name(task)
            log_groups[key] = {
                "name": f"/aws/lambda/{name}",
                "retention_in_days": "${var.log_retention_days}",
                "kms_key_id": KEY_ARN,
            }
            memory, timeout = self.lambda_size(task)
            functions[key] = {
                "function_name": name,
                "description": f"Glacier task {task.id}",
                "role": f"${{aws_iam_role.{key}.arn}}",
                "package_type": "Image",
                "image_uri": self.image_uri(task),
                "image_config": {
                    "entry_point": ["python", "-m", "awslambdaric"],
                    "command": [LAMBDA_HANDLER],
                    "working_directory": PROJECT_DIR,
                },
                "memory_size": memory,
                "timeout": timeout,
                "environment": {"variables": self.environment(task)},
                "logging_config": {
                    "log_format": "Text",
                    "log_group": f"${{aws_cloudwatch_log_group.{key}.name}}",
                },
                "depends_on": [
                    f"aws_cloudwatch_log_group.{key}",
                    f"aws_iam_role_policy.{key}",
                ],
            }
        if functions:
            resources["aws_lambda_function"] = functions
        locals_: dict[str, Any] = {}
        if self.ecs_tasks:
            resources["aws_ecs_cluster"] = {
                "pipeline": {
                    "name": self.base,
                    "setting": [{"name": "containerInsights", "value": "enabled"}],
                }
            }
            definitions: dict[str, Any] = {}
            for task in self.ecs_tasks:
                key = self.keys[task.id]
                group = f"/glacier/{slug(self.plan.pipeline)}/{slug(task.name)}"
                if len(group) > 512:
                    group = shorten(group, 512)
                log_groups[key] = {
                    "name": group,
                    "retention_in_days": "${var.log_retention_days}",
                    "kms_key_id": KEY_ARN,
                }
                cpu, memory = limits.container_size(task.compute) or (0, 0)
                locals_[f"containers_{key}"] = [self.container(task, key)]
                definitions[key] = {
                    "family": self.name(task),
                    "requires_compatibilities": ["FARGATE"],
                    "network_mode": "awsvpc",
                    "cpu": str(cpu),
                    "memory": str(memory),
                    "runtime_platform": {
                        "operating_system_family": "LINUX",
                        "cpu_architecture": "X86_64",
                    },
                    "execution_role_arn": f"${{aws_iam_role.{key}_execution.arn}}",
                    "task_role_arn": f"${{aws_iam_role.{key}.arn}}",
                    "container_definitions": f"${{jsonencode(local.containers_{key})}}",
                }
            resources["aws_ecs_task_definition"] = definitions
        resources["aws_cloudwatch_log_group"] = log_groups
        content: dict[str, Any] = {"resource": resources}
        if locals_:
            content["locals"] = locals_
        return content

    def lambda_size(self, task: PlannedTask) -> tuple[int, int]:
        memory = task.compute.get("memory") or self.options.lambda_memory
        timeout = task.compute.get("timeout")
        seconds = int(-(-timeout // 1)) if timeout is not None else self.options.lambda_timeout
        return int(memory), seconds

    def container(self, task: PlannedTask, key: str) -> dict[str, Any]:
        container: dict[str, Any] = {
            "name": CONTAINER_NAME,
            "image": self.image_uri(task),
            "essential": True,
            "command": ["--task", task.id],
            "environment": [
                {"name": name, "value": value}
                for name, value in sorted(self.environment(task).items())
            ],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": f"${{aws_cloudwatch_log_group.{key}.name}}",
                    "awslogs-region": REGION,
                    "awslogs-stream-prefix": "task",
                },
            },
        }
        secrets = self.secrets(task)
        if secrets:
            container["secrets"] = [
                {"name": secret_variable(s), "valueFrom": self.secret_arn(s)} for s in secrets
            ]
        return container

    # -- IAM ---------------------------------------------------------------------------

    def iam(self) -> dict[str, Any]:
        roles: dict[str, Any] = {}
        policies: dict[str, Any] = {}
        locals_: dict[str, Any] = {}
        for task in self.plan.tasks:
            key = self.keys[task.id]
            service = (
                "lambda.amazonaws.com"
                if runs_on_lambda(task, self.options)
                else "ecs-tasks.amazonaws.com"
            )
            locals_[f"policy_{key}"] = self.task_policy(task)
            roles[key] = {
                "name": self.name(task, limit=IAM_ROLE_NAME_LIMIT),
                "description": f"Glacier task {task.id}"[:1000],
                "assume_role_policy": _assume(service),
            }
            policies[key] = {
                "name": "glacier-task",
                "role": f"${{aws_iam_role.{key}.id}}",
                "policy": f"${{jsonencode(local.policy_{key})}}",
            }
            if not runs_on_lambda(task, self.options):
                locals_[f"policy_{key}_execution"] = self.execution_policy(task, key)
                roles[f"{key}_execution"] = {
                    "name": self.name(task, "-exec", IAM_ROLE_NAME_LIMIT),
                    "description": f"Starts the container of Glacier task {task.id}"[:1000],
                    "assume_role_policy": _assume("ecs-tasks.amazonaws.com"),
                }
                policies[f"{key}_execution"] = {
                    "name": "glacier-execution",
                    "role": f"${{aws_iam_role.{key}_execution.id}}",
                    "policy": f"${{jsonencode(local.policy_{key}_execution)}}",
                }
        return {
            "locals": locals_,
            "resource": {"aws_iam_role": roles, "aws_iam_role_policy": policies},
        }

    def task_policy(self, task: PlannedTask) -> dict[str, Any]:
        """What the task's own code may do: read its inputs, write its output."""
        statements: list[dict[str, Any]] = []
        key_actions: set[str] = set()
        for item in dict.fromkeys(i.dataset for i in task.inputs):
            where = self.locations[item]
            statements.extend(_read(where, f"Read{_sid(item)}"))
            if where.intermediate:
                key_actions.add("kms:Decrypt")
        if task.output is not None:
            where = self.locations[task.output]
            statements.extend(_write(where, f"Write{_sid(task.output)}"))
            if where.intermediate:
                key_actions.update(("kms:Decrypt", "kms:GenerateDataKey"))
        seen: dict[str, int] = {}
        for statement in statements:  # two dataset names may clean up to the same id
            sid = statement["Sid"]
            seen[sid] = seen.get(sid, 0) + 1
            if seen[sid] > 1:
                statement["Sid"] = f"{sid}{seen[sid]}"
        if key_actions:
            statements.append(
                {
                    "Sid": "UseTheDeploymentKey",
                    "Effect": "Allow",
                    "Action": sorted(key_actions),
                    "Resource": KEY_ARN,
                }
            )
        if runs_on_lambda(task, self.options):
            key = self.keys[task.id]
            statements.append(
                {
                    "Sid": "WriteItsLogs",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": f"${{aws_cloudwatch_log_group.{key}.arn}}:*",
                }
            )
            secrets = self.secrets(task)
            if secrets:
                statements.append(_secrets_statement([self.secret_arn(s) for s in secrets]))
        return {"Version": "2012-10-17", "Statement": statements}

    def execution_policy(self, task: PlannedTask, key: str) -> dict[str, Any]:
        """What ECS needs to start the container: pull its image, write its logs, secrets."""
        image = self.image_key(task)
        statements: list[dict[str, Any]] = [
            {
                "Sid": "AuthenticateToECR",
                "Effect": "Allow",
                "Action": "ecr:GetAuthorizationToken",
                "Resource": "*",
            },
            {
                "Sid": "PullItsImage",
                "Effect": "Allow",
                "Action": [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
                "Resource": f"${{aws_ecr_repository.{image}.arn}}",
            },
            {
                "Sid": "WriteItsLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"${{aws_cloudwatch_log_group.{key}.arn}}:*",
            },
        ]
        secrets = self.secrets(task)
        if secrets:
            statements.append(_secrets_statement([self.secret_arn(s) for s in secrets]))
        return {"Version": "2012-10-17", "Statement": statements}

    def machine_policy(self, machine: state_machine.Machine) -> dict[str, Any]:
        """Exactly what one state machine starts: its tasks and its nested machines."""
        statements: list[dict[str, Any]] = []
        lambda_tasks = [t for t in machine.tasks if runs_on_lambda(t, self.options)]
        ecs_tasks = [t for t in machine.tasks if not runs_on_lambda(t, self.options)]
        if lambda_tasks:
            statements.append(
                {
                    "Sid": "InvokeItsFunctions",
                    "Effect": "Allow",
                    "Action": "lambda:InvokeFunction",
                    "Resource": [
                        f"${{aws_lambda_function.{self.keys[t.id]}.arn}}" for t in lambda_tasks
                    ],
                }
            )
        if ecs_tasks:
            statements.extend(
                [
                    {
                        "Sid": "RunItsTasks",
                        "Effect": "Allow",
                        "Action": "ecs:RunTask",
                        "Resource": [
                            f"${{aws_ecs_task_definition.{self.keys[t.id]}.arn}}" for t in ecs_tasks
                        ],
                    },
                    {
                        "Sid": "WatchAndStopItsTasks",
                        "Effect": "Allow",
                        "Action": ["ecs:DescribeTasks", "ecs:StopTask"],
                        "Resource": f"arn:{PARTITION}:ecs:{REGION}:{ACCOUNT}:task/"
                        "${aws_ecs_cluster.pipeline.name}/*",
                    },
                    {
                        "Sid": "PassItsTaskRoles",
                        "Effect": "Allow",
                        "Action": "iam:PassRole",
                        "Resource": [
                            f"${{aws_iam_role.{self.keys[t.id]}{suffix}.arn}}"
                            for t in ecs_tasks
                            for suffix in ("", "_execution")
                        ],
                        "Condition": {
                            "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
                        },
                    },
                    {
                        "Sid": "ManagedRuleForRunTaskSync",
                        "Effect": "Allow",
                        "Action": ["events:DescribeRule", "events:PutRule", "events:PutTargets"],
                        "Resource": f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:rule/"
                        "StepFunctionsGetEventsForECSTaskRule",
                    },
                ]
            )
        if machine.nested:
            names = [self.machine_name(n) for n in machine.nested]
            statements.extend(
                [
                    {
                        "Sid": "StartItsNestedMachines",
                        "Effect": "Allow",
                        "Action": "states:StartExecution",
                        "Resource": [
                            f"${{aws_sfn_state_machine.part_{n}.arn}}" for n in machine.nested
                        ],
                    },
                    {
                        "Sid": "WatchAndStopTheirExecutions",
                        "Effect": "Allow",
                        "Action": ["states:DescribeExecution", "states:StopExecution"],
                        "Resource": [
                            f"arn:{PARTITION}:states:{REGION}:{ACCOUNT}:execution:{name}:*"
                            for name in names
                        ],
                    },
                    {
                        "Sid": "ManagedRuleForStartExecutionSync",
                        "Effect": "Allow",
                        "Action": ["events:DescribeRule", "events:PutRule", "events:PutTargets"],
                        "Resource": f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:rule/"
                        "StepFunctionsGetEventsForStepFunctionsExecutionRule",
                    },
                ]
            )
        statements.append(
            {
                "Sid": "DeliverItsLogs",
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogDelivery",
                    "logs:DeleteLogDelivery",
                    "logs:DescribeLogGroups",
                    "logs:DescribeResourcePolicies",
                    "logs:GetLogDelivery",
                    "logs:ListLogDeliveries",
                    "logs:PutResourcePolicy",
                    "logs:UpdateLogDelivery",
                ],
                "Resource": "*",
            }
        )
        return {"Version": "2012-10-17", "Statement": statements}

    # -- the state machine -----------------------------------------------------------

    def invocation(self, task: PlannedTask) -> state_machine.TaskInvocation:
        key = self.keys[task.id]
        if runs_on_lambda(task, self.options):
            return state_machine.TaskInvocation(
                resource=f"arn:{PARTITION}:states:::lambda:invoke",
                parameters={
                    "FunctionName": f"${{aws_lambda_function.{key}.arn}}",
                    "Payload.$": "$.shared.payload",
                },
                is_lambda=True,
            )
        return state_machine.TaskInvocation(
            resource=f"arn:{PARTITION}:states:::ecs:runTask.sync",
            parameters={
                "LaunchType": "FARGATE",
                "Cluster.$": "$.shared.cluster",
                "TaskDefinition": f"${{aws_ecs_task_definition.{key}.arn}}",
                "NetworkConfiguration.$": "$.shared.network",
                "Overrides.$": "$.shared.overrides",
            },
            is_lambda=False,
        )

    def shared_parameters(self) -> dict[str, Any]:
        """What every task state passes alike, computed once by the first state."""
        shared: dict[str, Any] = {}
        if self.lambda_tasks:
            shared["payload"] = {
                "run_id.$": "$$.Execution.Name",
                "input.$": "$$.Execution.Input",
            }
        if self.ecs_tasks:
            public_ip = "ENABLED" if self.options.assign_public_ip else "DISABLED"
            shared["cluster"] = "${aws_ecs_cluster.pipeline.arn}"
            shared["network"] = {
                "AwsvpcConfiguration": {
                    "Subnets": "${var.subnet_ids}",
                    "SecurityGroups": "${var.security_group_ids}",
                    "AssignPublicIp": public_ip,
                }
            }
            shared["overrides"] = {
                "ContainerOverrides": [
                    {
                        "Name": CONTAINER_NAME,
                        "Environment": [
                            {"Name": "GLACIER_RUN_ID", "Value.$": "$$.Execution.Name"},
                            {
                                "Name": "GLACIER_EXECUTION_INPUT",
                                "Value.$": "States.JsonToString($$.Execution.Input)",
                            },
                        ],
                    }
                ]
            }
        return shared

    def nested_invocation(self, number: int) -> state_machine.TaskInvocation:
        return state_machine.TaskInvocation(
            resource=f"arn:{PARTITION}:states:::states:startExecution.sync:2",
            parameters={"StateMachineArn": f"${{aws_sfn_state_machine.part_{number}.arn}}"},
            is_lambda=False,
        )

    @cached_property
    def machines(self) -> list[state_machine.Machine]:
        return state_machine.machines(
            self.plan,
            self.invocation,
            self.shared_parameters(),
            definition_size,
            self.nested_invocation,
        )

    def machine_name(self, number: int) -> str:
        if number == 0:
            return shorten(self.base, STATE_MACHINE_NAME_LIMIT)
        return shorten(f"{self.base}-part-{number}", STATE_MACHINE_NAME_LIMIT)

    def state_machine(self) -> dict[str, Any]:
        log_group = f"/aws/vendedlogs/states/{self.machine_name(0)}"
        locals_: dict[str, Any] = {}
        roles: dict[str, Any] = {}
        policies: dict[str, Any] = {}
        machines: dict[str, Any] = {}
        for machine in self.machines:
            number = machine.number
            key = "pipeline" if number == 0 else f"part_{number}"
            role = "state_machine" if number == 0 else f"state_machine_part_{number}"
            suffix = "" if number == 0 else f"_part_{number}"
            locals_[f"state_machine_definition{suffix}"] = machine.definition
            locals_[f"policy_state_machine{suffix}"] = self.machine_policy(machine)
            what = "Runs" if number == 0 else f"Runs part {number} of"
            roles[role] = {
                "name": shorten(
                    f"{self.base}-states" + (f"-{number}" if number else ""),
                    IAM_ROLE_NAME_LIMIT,
                ),
                "description": f"{what} Glacier pipeline {self.plan.pipeline}",
                "assume_role_policy": _assume("states.amazonaws.com"),
            }
            policies[role] = {
                "name": "glacier-state-machine",
                "role": f"${{aws_iam_role.{role}.id}}",
                "policy": f"${{jsonencode(local.policy_state_machine{suffix})}}",
            }
            machines[key] = {
                "name": self.machine_name(number),
                "type": "STANDARD",
                "role_arn": f"${{aws_iam_role.{role}.arn}}",
                "definition": f"${{jsonencode(local.state_machine_definition{suffix})}}",
                "logging_configuration": {
                    "level": "ERROR",
                    "include_execution_data": False,
                    "log_destination": "${aws_cloudwatch_log_group.state_machine.arn}:*",
                },
                "tracing_configuration": {"enabled": False},
                "depends_on": [f"aws_iam_role_policy.{role}"],
            }
        return {
            "locals": locals_,
            "resource": {
                "aws_cloudwatch_log_group": {
                    "state_machine": {
                        "name": log_group,
                        "retention_in_days": "${var.log_retention_days}",
                        "kms_key_id": KEY_ARN,
                    }
                },
                "aws_iam_role": roles,
                "aws_iam_role_policy": policies,
                "aws_sfn_state_machine": machines,
            },
        }

    # -- images ------------------------------------------------------------------------

    def dockerfile(self, image: str, key: str) -> str:
        users = [t for t in self.plan.tasks if image_of(t, self.options) == image]
        on_lambda = any(runs_on_lambda(t, self.options) for t in users)
        roots = list(dict.fromkeys(t.import_root for t in users))
        python_path = ":".join(
            PROJECT_DIR if root == "." else f"{PROJECT_DIR}/{root}" for root in roots
        )
        glacier = self.options.glacier_requirement or _glacier_requirement()
        extras = [glacier, *([LAMBDA_RUNTIME_CLIENT] if on_lambda else [])]
        lines = [
            f"# Generated by `glacier compile` for pipeline {self.plan.pipeline}: the image of",
            *(f"#   {t.id}" for t in users),
            "# Build it from the project root (see docs/deploy-aws.md):",
            f"#   docker build --platform linux/amd64 --provenance=false -f <out>/images/{key}/"
            "Dockerfile .",
            f"FROM {image}",
            f"WORKDIR {PROJECT_DIR}",
        ]
        lock = self.plan.lock_file
        if lock == "uv.lock":
            lines += [
                "COPY pyproject.toml uv.lock ./",
                "RUN python -m pip install --no-cache-dir uv \\",
                "    && uv export --frozen --no-dev --no-emit-project --no-hashes "
                "-o /tmp/requirements.lock \\",
                "    && python -m pip install --no-cache-dir -r /tmp/requirements.lock",
            ]
        elif lock is not None:
            lines += [
                f"COPY {lock} /tmp/{lock}",
                f"RUN python -m pip install --no-cache-dir -r /tmp/{lock}",
            ]
        lines += [
            "RUN python -m pip install --no-cache-dir " + " ".join(f"'{r}'" for r in extras),
            "COPY . .",
            f"ENV PYTHONPATH={python_path} PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \\",
            f"    GLACIER_PROJECT_ROOT={PROJECT_DIR}",
            "# A batch task has nothing to probe; Step Functions watches it to the end.",
            "HEALTHCHECK NONE",
            "USER 65532:65532",
            'ENTRYPOINT ["python", "-m", "glacier.cloud.run"]',
        ]
        return "\n".join(lines) + "\n"


_DOCKERIGNORE = """\
# Generated by `glacier compile`: what the image build leaves out.
.git
**/.venv
**/__pycache__
**/.glacier
**/.glacier_cache
**/.terraform
**/*.tfstate
**/*.tfstate.backup
**/node_modules
"""


def _glacier_requirement() -> str:
    from glacier import __version__

    return f"{DISTRIBUTION}[s3]=={__version__}"


def _assume(service: str) -> str:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def _read(where: Location, sid: str) -> list[dict[str, Any]]:
    """GetObject on the folder, and ListBucket limited to it (else a missing key is a 403)."""
    return [
        {
            "Sid": sid,
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"{where.bucket_arn}/{where.prefix}*",
        },
        {
            "Sid": f"{sid}List",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": where.bucket_arn,
            "Condition": {"StringLike": {"s3:prefix": [f"{where.prefix}*"]}},
        },
    ]


def _write(where: Location, sid: str) -> list[dict[str, Any]]:
    """Write the output's folder; reading it back is part of committing a version."""
    return [
        {
            "Sid": sid,
            "Effect": "Allow",
            "Action": [
                "s3:AbortMultipartUpload",
                "s3:DeleteObject",
                "s3:GetObject",
                "s3:PutObject",
            ],
            "Resource": f"{where.bucket_arn}/{where.prefix}*",
        },
        {
            "Sid": f"{sid}List",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": where.bucket_arn,
            "Condition": {"StringLike": {"s3:prefix": [f"{where.prefix}*"]}},
        },
    ]


def _secrets_statement(arns: list[str]) -> dict[str, Any]:
    return {
        "Sid": "ReadItsSecrets",
        "Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": arns,
    }


def _sid(name: str) -> str:
    """A statement id from a dataset name (letters and digits only)."""
    cleaned = re.sub(r"[^A-Za-z0-9]", "", name.title())
    return cleaned[:60] or "Dataset"


#: Objects nested deeper than this are written on one line: block type, resource type,
#: resource name and each attribute get lines of their own, and the encoder stays the fast
#: C one (an indented ``json.dumps`` is pure Python: seconds for a 1,000-task pipeline).
_INDENTED_DEPTH = 4
_ENCODE = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode


def _json(content: Mapping[str, Any]) -> bytes:
    parts: list[str] = []
    _write_json(content, 0, parts)
    parts.append("\n")
    return "".join(parts).encode()


def _write_json(value: Any, depth: int, parts: list[str]) -> None:
    if not isinstance(value, dict) or not value or depth >= _INDENTED_DEPTH:
        parts.append(_ENCODE(value))
        return
    inner = "  " * (depth + 1)
    parts.append("{\n")
    for number, key in enumerate(sorted(value)):
        if number:
            parts.append(",\n")
        parts.append(f"{inner}{_ENCODE(key)}: ")
        _write_json(value[key], depth + 1, parts)
    parts.append("\n" + "  " * depth + "}")


def render(plan: Plan, options: AWSOptions) -> dict[str, bytes]:
    """Every file of the AWS deployment of ``plan``."""
    return _Renderer(plan, options).files()
