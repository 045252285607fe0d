"""The static analyzer: it reads source, never imports or executes it.

``extract`` records each file's module-level facts (cached per content hash),
``resolve`` interprets them across modules in source order as Python would, and
`glacier.checks` turns the result into diagnostics through one report path.
`analyze_scope` is what commands taking paths call: the whole project, reported for the paths.
"""

from glacier.analysis.engine import Workspace, analyze_paths
from glacier.analysis.result import AnalysisResult, Reference
from glacier.analysis.scope import ScopedAnalysis, analyze_scope

__all__ = [
    "AnalysisResult",
    "Reference",
    "ScopedAnalysis",
    "Workspace",
    "analyze_paths",
    "analyze_scope",
]
