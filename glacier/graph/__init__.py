"""The one graph core shared by the runtime `Pipeline` and the static analyzer.

It works on plain names (task ids, dataset names) and list positions: no libcst, no
I/O, no inspection of live functions. Both sides build `TaskNode`s and call
`build_pipeline_graph`; the problems it finds are typed facts that each side turns into
its own errors or diagnostics.
"""

from glacier.graph.build import build_pipeline_graph
from glacier.graph.model import Edge, Input, PipelineGraph, TaskNode
from glacier.graph.order import find_cycles, topological_order
from glacier.graph.problems import Cycle, DuplicateProducer, GraphProblem, MissingProducer

__all__ = [
    "Cycle",
    "DuplicateProducer",
    "Edge",
    "GraphProblem",
    "Input",
    "MissingProducer",
    "PipelineGraph",
    "TaskNode",
    "build_pipeline_graph",
    "find_cycles",
    "topological_order",
]
