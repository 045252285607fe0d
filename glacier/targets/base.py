"""What a compile target is: limits it reports, and files it renders from a plan."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from glacier.compile.plan import Plan


class Target(ABC):
    """A place a pipeline can be deployed to (``AWSTarget()``, ``KubernetesTarget()``).

    Options come from ``[tool.glacier.<name>]`` in ``pyproject.toml``; arguments given in
    code override them (`configured`). A target knows nothing of the analyzer or the
    runtime: it only reads the `Plan`.
    """

    #: The target's name in ``--target`` and ``[tool.glacier.<name>]``.
    name: ClassVar[str]

    @abstractmethod
    def configured(self, file_options: Mapping[str, Any], where: str) -> Target:
        """A copy with ``file_options`` (the pyproject table) under this target's own.

        Raises:
            glacier.compile.CompileError: naming ``where`` and the bad option.
        """

    @classmethod
    @abstractmethod
    def compute_problems(cls, compute: Mapping[str, Any]) -> list[str]:
        """Why a task with this ``Compute.to_dict()`` cannot be deployed here (empty: it can)."""

    @classmethod
    @abstractmethod
    def storage_problems(cls, storage: Mapping[str, Any]) -> list[str]:
        """Why a dataset with this ``Storage.to_dict()`` cannot be reached from here."""

    def problems(self, plan: Plan) -> list[str]:
        """Every limit of this target that the plan breaks, each naming its task or dataset."""
        found: list[str] = []
        for task in plan.tasks:
            found.extend(f"task `{task.name}`: {p}" for p in self.compute_problems(task.compute))
        for dataset in plan.datasets:
            if dataset.storage is not None:
                found.extend(
                    f"dataset `{dataset.name}`: {p}" for p in self.storage_problems(dataset.storage)
                )
        return found

    @abstractmethod
    def render(self, plan: Plan) -> dict[str, bytes]:
        """The files of the deployment: POSIX paths relative to the output folder -> bytes.

        Called only for a plan without `problems`; the same plan gives the same bytes.
        """
