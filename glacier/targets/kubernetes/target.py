"""`KubernetesTarget`: compile a pipeline to an Argo Workflows WorkflowTemplate and its RBAC.

Options come from ``[tool.glacier.kubernetes]`` in ``pyproject.toml`` (so the runtime and
``glacier compile`` see the same ones); arguments given in code override them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, ClassVar

from glacier.compile.plan import CompileError
from glacier.targets.base import Target
from glacier.targets.kubernetes import limits
from glacier.targets.kubernetes.names import label_problem, subdomain_problem

if TYPE_CHECKING:
    from glacier.compile.plan import Plan

#: The image serverless and local tasks run in when ``image`` is not set: the one
#: ``images/runner/Dockerfile`` builds (Python, Glacier and the project). Push it and set
#: ``image`` to the pushed reference for a real cluster.
DEFAULT_RUNNER_IMAGE = "glacier-runner:latest"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SECRET_KEY = re.compile(r"[-._a-zA-Z0-9]+")


@dataclass(frozen=True)
class KubernetesTarget(Target):
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

    name: ClassVar[str] = "kubernetes"

    @property
    def runner_image(self) -> str:
        return self.image or DEFAULT_RUNNER_IMAGE

    @classmethod
    def from_options(
        cls, options: Mapping[str, Any], where: str = "[tool.glacier.kubernetes]"
    ) -> KubernetesTarget:
        """A target from options as ``[tool.glacier.kubernetes]`` writes them.

        Raises:
            CompileError: naming ``where``, the key and what it takes.
        """
        known = [f.name for f in fields(cls)]
        problems: list[str] = []
        values: dict[str, Any] = {}
        for key, value in options.items():
            if key not in known:
                problems.append(f"{where}: unknown option `{key}`; known: {', '.join(known)}")
            elif (problem := _type_problem(key, value)) is not None:
                problems.append(f"{where}: `{key}` must be {problem}, got {value!r}")
            else:
                values[key] = dict(sorted(value.items())) if isinstance(value, Mapping) else value
        if problems:
            raise CompileError(problems)
        return cls(**values)

    def configured(self, file_options: Mapping[str, Any], where: str) -> KubernetesTarget:
        """The file's options where this target (made in code) kept the default."""
        from_file = KubernetesTarget.from_options(file_options, where)
        defaults = KubernetesTarget()
        changes = {
            f.name: getattr(from_file, f.name)
            for f in fields(self)
            if getattr(self, f.name) == getattr(defaults, f.name)
        }
        return replace(self, **changes)

    @classmethod
    def compute_problems(cls, compute: Mapping[str, Any]) -> list[str]:
        return limits.compute_problems(compute)

    @classmethod
    def storage_problems(cls, storage: Mapping[str, Any]) -> list[str]:
        return limits.storage_problems(storage)

    def problems(self, plan: Plan) -> list[str]:
        return [*super().problems(plan), *limits.plan_problems(plan, self)]

    def render(self, plan: Plan) -> dict[str, bytes]:
        """``manifests/*.yaml`` for ``kubectl apply -f`` and ``kubernetes.tf.json``."""
        from glacier.targets.kubernetes.render import render_files

        return render_files(plan, self)

    @staticmethod
    def secret_reference_problem(reference: str) -> str | None:
        """Why ``reference`` is not ``secret-name`` or ``secret-name/key``, or None."""
        secret, _, key = reference.partition("/")
        if (problem := subdomain_problem(secret)) is not None:
            return f"names a Kubernetes Secret that {problem}"
        if key and not _SECRET_KEY.fullmatch(key):
            return "has a key that must be letters, digits, `-`, `_` or `.`"
        return None

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
            if (problem := limits.image_problem(image)) is not None:
                problems.append(problem)
        if self.data is not None and not self.data.startswith(limits.OBJECT_STORES):
            stores = ", ".join(f"{scheme}..." for scheme in limits.OBJECT_STORES)
            problems.append(
                f"data `{self.data}` must be an object-storage folder a pod can reach ({stores})"
            )
        for variable in (*self.env, *self.secrets):
            if not _ENV_NAME.fullmatch(variable):
                problems.append(
                    f"environment variable `{variable}` must be letters, digits and `_`, "
                    "not starting with a digit"
                )
        for variable, reference in self.secrets.items():
            if (problem := self.secret_reference_problem(reference)) is not None:
                problems.append(f"secret `{reference}` of `{variable}` {problem}")
        if self.run_as_user <= 0:
            problems.append(f"run_as_user must be a non-root user id (> 0), got {self.run_as_user}")
        return problems


def _type_problem(key: str, value: Any) -> str | None:
    """What ``key`` takes when ``value`` is of the wrong type, else None."""
    if key in ("namespace", "image", "service_account", "data"):
        return None if isinstance(value, str) and value else "a non-empty string"
    if key in ("images", "env", "secrets", "service_account_annotations"):
        ok = isinstance(value, Mapping) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        )
        return None if ok else "a table of strings"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return "a positive number"
    if key in ("run_as_user", "max_memory") and not isinstance(value, int):
        return "a positive integer"
    return None
