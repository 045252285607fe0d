"""What the project-level checks look at: the resolved pipelines, tasks and datasets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from glacier.checks._finding import Finding
from glacier.diagnostics import Related
from glacier.graph import Cycle, DuplicateProducer, MissingProducer, PipelineGraph
from glacier.model import Span

GraphProblemType = type[Cycle] | type[MissingProducer] | type[DuplicateProducer]

_RELATED = {
    Cycle: "`{task}` is part of the loop",
    MissingProducer: "`{task}` consumes `{dataset}`",
    DuplicateProducer: "`{task}` produces `{dataset}`",
}


@dataclass(frozen=True)
class PipelineContext:
    """One pipeline, with what messages need: its label, task names and spans."""

    label: str
    span: Span
    graph: PipelineGraph
    names: dict[str, str]
    spans: dict[str, Span]
    #: Part of the task list was skipped (GLC011), so missing producers are not reported.
    incomplete: bool
    #: Datasets that tasks from modules that do not parse may produce for this pipeline.
    unknown_produce: frozenset[str] | None = None

    def graph_findings(self, kind: GraphProblemType) -> Iterator[Finding]:
        for problem in self.graph.problems:
            if not isinstance(problem, kind):
                continue
            if isinstance(problem, MissingProducer) and (
                self.incomplete
                or (self.unknown_produce is not None and problem.dataset in self.unknown_produce)
            ):
                continue
            dataset = getattr(problem, "dataset", "")
            related = tuple(
                Related(
                    self.spans[task], _RELATED[kind].format(task=self.names[task], dataset=dataset)
                )
                for task in problem.involved
                if task in self.spans
            )
            message = problem.message(self.label, lambda task: self.names.get(task, task))
            data: dict[str, object] = {
                "pipeline": self.label.strip("`"),
                "tasks": list(problem.involved),
            }
            if dataset:
                data["dataset"] = dataset
            yield Finding(problem.rule, message, self.span, related, data=data)
