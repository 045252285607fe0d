"""THE rule table: the only place in Glacier where a ``GLCnnn`` code is written.

Rows follow the order of the spec's diagnostics table. Codes are never renumbered.
"""

from __future__ import annotations

from glacier.rules._rule import Rule, Severity

SYNTAX_ERROR = Rule(
    "GLC000",
    "syntax-error",
    Severity.ERROR,
    "Syntax error: {detail}",
    summary="the file cannot be parsed, so none of its pipelines can be checked",
)
CYCLE = Rule(
    "GLC001",
    "cycle",
    Severity.ERROR,
    "Pipeline {pipeline} has a cycle: {path}",
    summary="tasks depend on each other in a loop, so no execution order exists",
)
MISSING_PRODUCER = Rule(
    "GLC002",
    "missing-producer",
    Severity.ERROR,
    "Dataset `{dataset}` is consumed by {consumers} but no task in pipeline {pipeline} produces it",
    summary="a consumed dataset has no producer in the pipeline and no storage to read it from",
)
DUPLICATE_PRODUCER = Rule(
    "GLC003",
    "duplicate-producer",
    Severity.ERROR,
    "Dataset `{dataset}` is produced by more than one task in pipeline {pipeline}: {producers}",
    summary="two tasks of one pipeline produce the same dataset",
)
NOT_A_DATASET = Rule(
    "GLC004",
    "not-a-dataset",
    Severity.ERROR,
    "{subject} of task `{task}` is {annotation}, which is not a dataset",
    summary="a task's parameter (without a default) or return annotation is not a dataset",
)
NOT_A_TASK = Rule(
    "GLC005",
    "not-a-task",
    Severity.ERROR,
    "{element} is not a task; decorate it with `@task` or remove it from the pipeline",
    summary="an element of a pipeline's task list is not a `@task` function",
)
DUPLICATE_DATASET_NAME = Rule(
    "GLC006",
    "duplicate-dataset-name",
    Severity.ERROR,
    "Dataset name `{dataset}` is already declared{previous}",
    summary="two `Dataset` declarations use the same name string",
)
INVALID_COMPUTE = Rule(
    "GLC007",
    "invalid-compute",
    Severity.ERROR,
    "Invalid compute: {detail}",
    summary="a `compute.*()` call or a `@task(...)` option has an unknown name or a bad value",
)
UNUSED_DATASET = Rule(
    "GLC008",
    "unused-dataset",
    Severity.WARNING,
    "Dataset `{dataset}` is declared but no task produces or consumes it",
    summary="a dataset is declared but never used by a task",
)
ORPHAN_TASK = Rule(
    "GLC009",
    "orphan-task",
    Severity.WARNING,
    "Task `{task}` is not part of any pipeline",
    summary="a task is defined but no pipeline lists it",
)
SHADOWED_DATASET = Rule(
    "GLC010",
    "shadowed-dataset",
    Severity.WARNING,
    "Task `{task}` rebinds the name of dataset `{dataset}`; later annotations `{variable}` "
    "mean the dataset this task produces",
    summary="a task's name rebinds a dataset variable",
)
DYNAMIC_CONSTRUCT = Rule(
    "GLC011",
    "dynamic-construct",
    Severity.INFO,
    "Cannot resolve {what} statically; skipped {skipped}",
    summary="something the analyzer cannot resolve without running code; skipped, not guessed",
)
UNKNOWN_NAME = Rule(
    "GLC012",
    "unknown-name",
    Severity.ERROR,
    "Name `{name}` is not defined{suggestion}",
    summary="an annotation or task-list name is defined nowhere",
)
OVERLAPPING_STORAGE = Rule(
    "GLC013",
    "overlapping-storage",
    Severity.ERROR,
    "Datasets `{dataset}` and `{other}` of pipeline {pipeline} {relation}: {uri}",
    summary="two datasets of one pipeline share a storage folder or nest one inside the other",
)
INVALID_FORMAT = Rule(
    "GLC014",
    "invalid-format",
    Severity.ERROR,
    "Dataset `{dataset}` has an unknown format {format}{suggestion}; known formats: {known}",
    summary="a dataset's `format=` names no storage format Glacier knows",
)
TARGET_LIMIT = Rule(
    "GLC015",
    "target-limit",
    Severity.ERROR,
    "{target} cannot deploy {subject}: {detail}",
    summary="a task or dataset breaks a limit of the deployment target set in pyproject.toml",
)
SCHEMA_MISMATCH = Rule(
    "GLC016",
    "schema-mismatch",
    Severity.ERROR,
    "Schema of dataset `{dataset}` is {what}, not a type or schema Glacier can check{hint}",
    summary="a dataset's `schema=` is a value no type check or run-time validation can use",
)
RETURN_CONTRADICTS_SCHEMA = Rule(
    "GLC017",
    "return-contradicts-schema",
    Severity.ERROR,
    "Task `{task}` returns {found}, but dataset `{dataset}` has schema {schema}{advice}",
    summary="a task returns a value that cannot match its dataset's `schema=`",
)

#: Every rule, in code order.
RULES: tuple[Rule, ...] = (
    SYNTAX_ERROR,
    CYCLE,
    MISSING_PRODUCER,
    DUPLICATE_PRODUCER,
    NOT_A_DATASET,
    NOT_A_TASK,
    DUPLICATE_DATASET_NAME,
    INVALID_COMPUTE,
    UNUSED_DATASET,
    ORPHAN_TASK,
    SHADOWED_DATASET,
    DYNAMIC_CONSTRUCT,
    UNKNOWN_NAME,
    OVERLAPPING_STORAGE,
    INVALID_FORMAT,
    TARGET_LIMIT,
    SCHEMA_MISMATCH,
    RETURN_CONTRADICTS_SCHEMA,
)

_BY_KEY = {key: rule for rule in RULES for key in (rule.code, rule.name)}


def get_rule(code_or_name: str) -> Rule:
    """Look a rule up by code (``GLC002``, any case) or name (``missing-producer``).

    Raises:
        KeyError: if no rule has that code or name.
    """
    key = code_or_name.strip()
    rule = _BY_KEY.get(key.upper()) or _BY_KEY.get(key.lower())
    if rule is None:
        raise KeyError(code_or_name)
    return rule
