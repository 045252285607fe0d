"""`Deployment`: a plan and a target; `to_terraform` writes the target's files.

Everything is rendered and checked in memory first, so a problem is reported before
anything is written and an output folder is never left half-written.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glacier.compile.plan import CompileError, Plan, make_plan

if TYPE_CHECKING:
    from glacier.model import PipelineInfo, Project
    from glacier.targets.base import Target

#: The file that lists what Glacier wrote, so a later compile may replace exactly those.
MARKER = ".glacier-compile.json"

#: What Terraform and its users keep next to the configuration; a recompile leaves it alone.
TERRAFORM_OWN = (
    ".terraform",
    ".terraform.lock.hcl",
    ".terraform.tfstate.lock.info",
    "terraform.tfstate",
    "terraform.tfstate.backup",
    "terraform.tfstate.d",
    "*.tfvars",
    "*.tfvars.json",
    "*.tfplan",
    "tfplan",
)


class Deployment:
    """A pipeline compiled for one target.

    >>> # deployment = pipeline.compile(target=AWSTarget())
    >>> # deployment.to_terraform("./infra")
    """

    def __init__(self, plan: Plan, target: Target) -> None:
        self.plan = plan
        self.target = target
        self._files: dict[str, bytes] | None = None

    def files(self) -> dict[str, bytes]:
        """The deployment's files (relative POSIX path -> bytes), in path order.

        Raises:
            CompileError: listing every limit of the target that the pipeline breaks.
        """
        if self._files is None:
            problems = self.target.problems(self.plan)
            if problems:
                raise CompileError([f"{self.target.name}: {problem}" for problem in problems])
            rendered = self.target.render(self.plan)
            self._files = {path: rendered[path] for path in sorted(rendered)}
        return dict(self._files)

    def to_terraform(self, directory: str | os.PathLike[str]) -> Path:
        """Write the Terraform JSON (``*.tf.json``) and the files it references.

        ``directory`` may be new, empty, or a folder an earlier compile wrote (its
        Terraform state and variable files are kept). Returns the folder.

        Raises:
            CompileError: if the pipeline cannot be deployed or the folder holds other
                files; nothing is written then.
        """
        return write_files(Path(directory), self.files())

    def to_kubernetes(self, directory: str | os.PathLike[str]) -> Path:
        """Write a `KubernetesTarget` deployment: ``manifests/*.yaml`` for ``kubectl apply -f``
        (and the same objects as ``kubernetes.tf.json``), under the same rules as `to_terraform`.

        Raises:
            CompileError: as `to_terraform`, or if the target is not Kubernetes.
        """
        if self.target.name != "kubernetes":
            name = self.target.name
            raise CompileError(
                [f"to_kubernetes() needs KubernetesTarget(); use to_terraform() for {name}"]
            )
        return write_files(Path(directory), self.files())

    def __repr__(self) -> str:
        return f"Deployment({self.plan.pipeline!r}, target={self.target.name!r})"


class SkippedDeployment(Deployment):
    """What ``compile()`` returns at a module's top level while Glacier imports the module."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._files = {}

    def files(self) -> dict[str, bytes]:
        return {}

    def to_terraform(self, directory: str | os.PathLike[str]) -> Path:
        """Writes nothing: Glacier is importing the module, not compiling it."""
        return Path(directory)

    def __repr__(self) -> str:
        return f"SkippedDeployment(target={self.target.name!r})"


def compile_project(
    project: Project,
    pipeline: PipelineInfo,
    root: Path,
    target: Target,
    target_options: Mapping[str, Mapping[str, Any]],
    where: str,
) -> Deployment:
    """The deployment of ``pipeline``; the one path both `Pipeline.compile` and the CLI take.

    Raises:
        CompileError: for an invalid pipeline or bad target options.
    """
    plan = make_plan(project, pipeline, root, target_options)
    configured = target.configured(
        plan.target_options.get(target.name, {}), f"{where} [tool.glacier.{target.name}]"
    )
    return Deployment(plan, configured)


def write_files(directory: Path, files: Mapping[str, bytes]) -> Path:
    """Replace the files a previous compile wrote in ``directory`` with ``files``.

    Raises:
        CompileError: if ``directory`` is a file or holds files Glacier did not write.
    """
    previous = _previous_files(directory)
    directory.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".glacier-compile-", dir=directory))
    try:
        for relative, content in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        marker = json.dumps({"files": sorted(files)}, indent=2) + "\n"
        (staging / MARKER).write_text(marker, encoding="utf-8")
        # Every file exists in full before the first one moves into place.
        for relative in sorted(files):
            target = directory / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / relative, target)
        for stale in sorted(previous - set(files)):
            (directory / stale).unlink(missing_ok=True)
            _remove_empty_parents(directory, directory / stale)
        os.replace(staging / MARKER, directory / MARKER)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return directory


def _previous_files(directory: Path) -> set[str]:
    """What an earlier compile wrote here; raises when anything else is in the way."""
    if directory.exists() and not directory.is_dir():
        raise CompileError([f"{directory} is a file; give a folder for the deployment"])
    if not directory.exists():
        return set()
    previous: set[str] = set()
    marker = directory / MARKER
    if marker.is_file():
        try:
            listed = json.loads(marker.read_text(encoding="utf-8")).get("files", [])
            previous = {str(name) for name in listed}
        except (ValueError, AttributeError, OSError):
            previous = set()
    others = sorted(
        relative
        for relative in _walk(directory)
        if relative not in previous and relative != MARKER and not _terraform_own(relative)
    )
    if others:
        shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
        raise CompileError(
            [
                f"{directory} holds files Glacier did not write ({shown}); compile into a new "
                "or empty folder, or into the folder of an earlier `glacier compile`"
            ]
        )
    return previous


def _walk(directory: Path) -> list[str]:
    found: list[str] = []
    for top, folders, names in os.walk(directory):
        relative_top = Path(top).relative_to(directory)
        keep = []
        for folder in folders:
            relative = (relative_top / folder).as_posix()
            if not _terraform_own(relative) and not folder.startswith(".glacier-compile-"):
                keep.append(folder)
        folders[:] = keep
        found.extend((relative_top / name).as_posix() for name in names)
    return found


def _terraform_own(relative: str) -> bool:
    first = relative.split("/", 1)[0]
    return any(fnmatch(first, pattern) for pattern in TERRAFORM_OWN)


def _remove_empty_parents(directory: Path, path: Path) -> None:
    parent = path.parent
    while parent != directory and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent
