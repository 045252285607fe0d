"""The libcst static analyzer: it reads source, never imports or executes it.

``extract`` records each file's module-level facts (cached per content hash),
``resolve`` interprets them across modules in source order as Python would, and
`glacier.checks` turns the result into diagnostics through one report path.
"""

from glacier.analysis.engine import Workspace, analyze_paths
from glacier.analysis.result import AnalysisResult, Reference

__all__ = ["AnalysisResult", "Reference", "Workspace", "analyze_paths"]
