"""What modules that do not parse may use: they run nothing, so only their words tell.

A module with a syntax error contributes "unknown", not "absent". It can refer to a dataset
or task only through a name that some module binds to it, or (for a dataset of its own) by
the dataset's name, so only objects one of whose names appears in its text may be used,
listed or produced there. Everything else is judged as if the module were not there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from glacier.analysis.resolve import Resolution

_WORD = re.compile(r"[^\W\d]\w*")


@dataclass(frozen=True)
class UnknownUses:
    """What the modules of one group that do not parse may use."""

    #: Dataset keys and task ids they may refer to (``None``: anything).
    objects: frozenset[str] | None
    #: They may build a pipeline.
    pipelines: bool


class Unknowns:
    """The modules of a resolution that do not parse, and what they may use."""

    def __init__(self, resolution: Resolution) -> None:
        from glacier.analysis.resolve import does_not_parse

        self.resolution = resolution
        #: Module -> its identifiers (``None``: unknown, so anything).
        self.words: dict[str, frozenset[str] | None] = {
            name: output.source.facts.identifiers
            for name, output in resolution.outputs.items()
            if does_not_parse(output.source)
        }
        self._names: dict[str, set[str]] | None = None

    def names(self) -> dict[str, set[str]]:
        """Dataset key or task id -> every name a module binds to it."""
        if self._names is None:
            from glacier.analysis.resolve import VDataset, VTask

            names: dict[str, set[str]] = {}
            for output in self.resolution.outputs.values():
                for variable, value in output.env.items():
                    if isinstance(value, VDataset):
                        names.setdefault(value.index, set()).add(variable)
                    elif isinstance(value, VTask):
                        names.setdefault(value.id, set()).add(variable)
            for task in self.resolution.tasks.values():
                names.setdefault(task.id, set()).add(task.name)
            self._names = names
        return self._names

    def _mentioned(self, modules: list[str]) -> set[str] | None:
        mentioned: set[str] = set()
        for module in modules:
            words = self.words.get(module)
            if words is None:
                return None
            mentioned |= words
        return mentioned

    def for_group(self, group: int) -> UnknownUses | None:
        """What the group's modules that do not parse may use (``None``: it has none)."""
        groups = self.resolution.components
        modules = [m for m in self.words if groups.get(m, -1) == group]
        if not modules:
            return None
        mentioned = self._mentioned(modules)
        if mentioned is None:
            return UnknownUses(None, True)
        objects = frozenset(k for k, bound in self.names().items() if bound & mentioned)
        return UnknownUses(objects, "Pipeline" in mentioned)

    def may_produce(self, modules: tuple[str, ...]) -> frozenset[str] | None:
        """Dataset names that tasks taken from ``modules`` may produce (``None``: any)."""
        mentioned = self._mentioned(list(modules))
        if mentioned is None:
            return None
        resolution = self.resolution
        names = self.names()
        produced: set[str] = set()
        for key, dataset in resolution.datasets.items():
            if names.get(key, set()) & mentioned or set(_WORD.findall(dataset.name)) <= mentioned:
                produced.add(dataset.name)
        for task in resolution.tasks.values():
            if task.output is not None and names.get(task.id, set()) & mentioned:
                produced.add(resolution.datasets[task.output].name)
        return frozenset(produced)
