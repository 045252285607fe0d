"""The rule table: every diagnostic Glacier can report, in one place.

This package is a leaf: it imports nothing else from Glacier, so the runtime, the
analyzer, the mypy plugin and the language server can all depend on it cheaply.
"""

from glacier.rules._rule import Rule, Severity
from glacier.rules.registry import (
    CYCLE,
    DUPLICATE_DATASET_NAME,
    DUPLICATE_PRODUCER,
    DYNAMIC_CONSTRUCT,
    INVALID_COMPUTE,
    INVALID_FORMAT,
    MISSING_PRODUCER,
    NOT_A_DATASET,
    NOT_A_TASK,
    ORPHAN_TASK,
    OVERLAPPING_STORAGE,
    RETURN_CONTRADICTS_SCHEMA,
    RULES,
    SCHEMA_MISMATCH,
    SHADOWED_DATASET,
    SYNTAX_ERROR,
    UNKNOWN_NAME,
    UNUSED_DATASET,
    get_rule,
)

__all__ = [
    "CYCLE",
    "DUPLICATE_DATASET_NAME",
    "DUPLICATE_PRODUCER",
    "DYNAMIC_CONSTRUCT",
    "INVALID_COMPUTE",
    "INVALID_FORMAT",
    "MISSING_PRODUCER",
    "NOT_A_DATASET",
    "NOT_A_TASK",
    "ORPHAN_TASK",
    "OVERLAPPING_STORAGE",
    "RETURN_CONTRADICTS_SCHEMA",
    "RULES",
    "SCHEMA_MISMATCH",
    "SHADOWED_DATASET",
    "SYNTAX_ERROR",
    "UNKNOWN_NAME",
    "UNUSED_DATASET",
    "Rule",
    "Severity",
    "get_rule",
]
