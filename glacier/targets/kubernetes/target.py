"""`KubernetesTarget`: compile a pipeline to an Argo Workflows WorkflowTemplate and its RBAC.

Options come from ``[tool.glacier.kubernetes]`` in ``pyproject.toml`` (so the runtime and
``glacier compile`` see the same ones); arguments given in code override them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from glacier.targets.kubernetes.names import label_problem, subdomain_problem

#: The image serverless and local tasks run in when ``image`` is not set: the one
#: ``images/runner/Dockerfile`` builds (Python, Glacier and the project). Push it and set
#: ``image`` to the pushed reference for a real cluster.
DEFAULT_RUNNER_IMAGE = "glacier-runner:latest"
#: Schemes of object storage a pod can reach with its cloud identity.
OBJECT_STORES = ("s3://", "gs://", "az://", "abfs://")
#: The smallest CPU amount Kubernetes can express (1 millicore).
MIN_CPU = 0.001

# The reference grammar of container images (registry[:port]/path[:tag][@digest]), simplified
# from the distribution spec: lowercase path components, tags of at most 128 characters.
_IMAGE = re.compile(
    r"(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
    r"(?:@sha256:[a-f0-9]{64})?"
)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SECRET_KEY = re.compile(r"[-._a-zA-Z0-9]+")


class KubernetesOptionError(ValueError):
    """An option of ``KubernetesTarget`` (or ``[tool.glacier.kubernetes]``) is invalid."""


@dataclass(frozen=True)
class KubernetesTarget:
    """Compile to Argo Workflows on Kubernetes.

    Args:
        namespace: where every object goes.
        image: the runner image for serverless and local tasks (default
            `DEFAULT_RUNNER_IMAGE`); container tasks run their own image.
        service_account: an existing ServiceAccount to run as; by default one is created.
        data: an object-storage folder (``s3://bucket/prefix/``) for datasets without storage.
        images: declared image → image to run (say, a registry copy with Glacier installed).
        env: plain environment variables for every step (``AWS_REGION``, an endpoint URL).
        secrets: environment variable → ``secret-name/key`` read by every step.
        service_account_annotations: the pod identity (``eks.amazonaws.com/role-arn``,
            ``iam.gke.io/gcp-service-account``, ``azure.workload.identity/client-id``).
        run_as_user: the non-root user id every step runs as.
        max_cpu: CPUs of the largest node; a task asking for more is an error.
        max_memory: MB of the largest node; a task asking for more is an error.
    """

    namespace: str = "default"
    image: str | None = None
    service_account: str | None = None
    data: str | None = None
    images: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    service_account_annotations: Mapping[str, str] = field(default_factory=dict)
    run_as_user: int = 1000
    max_cpu: float | None = None
    max_memory: int | None = None

    name = "kubernetes"

    @property
    def runner_image(self) -> str:
        return self.image or DEFAULT_RUNNER_IMAGE

    @classmethod
    def from_options(
        cls, options: Mapping[str, Any], where: str = "[tool.glacier.kubernetes]"
    ) -> KubernetesTarget:
        """Options as ``[tool.glacier.kubernetes]`` writes them, checked for type.

        Raises:
            KubernetesOptionError: naming the key and what it takes.
        """
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in options.items():
            if key not in known:
                raise KubernetesOptionError(
                    f"{where}: unknown key `{key}`; known keys: {', '.join(known)}"
                )
            values[key] = _checked(key, value, where)
        return cls(**values)

    def with_options(self, options: Mapping[str, Any]) -> KubernetesTarget:
        """The configured ``options`` where this target (made in code) left the default."""
        configured = KubernetesTarget.from_options(options)
        defaults = KubernetesTarget()
        changes = {
            f.name: getattr(configured, f.name)
            for f in fields(self)
            if getattr(self, f.name) == getattr(defaults, f.name)
        }
        return replace(self, **changes)

    def option_problems(self) -> list[str]:
        """What is wrong with the options themselves, as messages naming the option."""
        problems: list[str] = []
        if (problem := label_problem(self.namespace)) is not None:
            problems.append(f"namespace `{self.namespace}` {problem}")
        if self.service_account is not None:
            problem = subdomain_problem(self.service_account)
            if problem is not None:
                problems.append(f"service_account `{self.service_account}` {problem}")
        for image in (self.runner_image, *self.images.values()):
            if (problem := image_problem(image)) is not None:
                problems.append(f"image `{image}` {problem}")
        if self.data is not None and not self.data.startswith(OBJECT_STORES):
            problems.append(
                f"data `{self.data}` must be an object-storage folder a pod can reach "
                f"({', '.join(s + '...' for s in OBJECT_STORES)})"
            )
        for variable in (*self.env, *self.secrets):
            if not _ENV_NAME.fullmatch(variable):
                problems.append(
                    f"environment variable `{variable}` must be letters, digits and `_`, "
                    "not starting with a digit"
                )
        for variable, reference in self.secrets.items():
            if (problem := secret_reference_problem(reference)) is not None:
                problems.append(f"secret `{reference}` of `{variable}` {problem}")
        if self.run_as_user <= 0:
            problems.append(f"run_as_user must be a non-root user id (> 0), got {self.run_as_user}")
        return problems


def image_problem(image: str) -> str | None:
    """Why ``image`` is not a valid container image reference, or None."""
    if _IMAGE.fullmatch(image):
        return None
    return (
        "is not a valid image reference (registry/path:tag, the path in lowercase letters, "
        "digits and separators)"
    )


def secret_reference_problem(reference: str) -> str | None:
    """Why ``reference`` is not ``secret-name`` or ``secret-name/key``, or None."""
    secret, _, key = reference.partition("/")
    if (problem := subdomain_problem(secret)) is not None:
        return f"names a Kubernetes Secret that {problem}"
    if key and not _SECRET_KEY.fullmatch(key):
        return "has a key that must be letters, digits, `-`, `_` or `.`"
    return None


def _checked(key: str, value: Any, where: str) -> Any:
    def fail(expected: str) -> KubernetesOptionError:
        return KubernetesOptionError(
            f"{where}: `{key}` must be {expected}, got {type(value).__name__} {value!r}"
        )

    if key in ("namespace", "image", "service_account", "data"):
        if not isinstance(value, str) or not value:
            raise fail("a non-empty string")
        return value
    if key in ("images", "env", "secrets", "service_account_annotations"):
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise fail("a table of strings")
        return dict(value)
    if key in ("run_as_user", "max_memory"):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise fail("a positive integer")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise fail("a positive number")
    return value
