"""Resolve extracted facts across modules into the project model, as Python would.

Each module's statements are interpreted symbolically in source order: imports run the
imported project module first (a circular import sees the partial module, as in
Python), assignments bind names, ``@task`` definitions resolve their annotations where
they are defined, and a ``Pipeline(...)`` call builds its graph at that point. Only
values that matter to Glacier are tracked; everything else is an opaque value that
remembers whether it is known to be "not Glacier" or only known at run time.
"""

from __future__ import annotations

import builtins
import difflib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from glacier.analysis.facts import (
    Annotation,
    EAttr,
    ECall,
    EConst,
    EName,
    ESeq,
    Expr,
    FileFacts,
    Param,
    Pos,
    SAssign,
    SBind,
    SDef,
    SDelete,
    SExpr,
    SFrom,
    SImport,
    SInnerCall,
    SNote,
    SReturn,
    Statement,
    expr_text,
)
from glacier.analysis.result import Reference
from glacier.checks import return_contradicts_schema as return_check
from glacier.checks._finding import Finding
from glacier.checks.invalid_format import format_problem
from glacier.checks.overlapping_storage import find_overlaps
from glacier.checks.schema_mismatch import schema_problem
from glacier.compute import COMPUTE_KINDS, normalize_compute, validate_compute
from glacier.diagnostics import Related
from glacier.graph import Input, PipelineGraph, TaskNode, build_pipeline_graph
from glacier.model import Span
from glacier.rules import (
    DYNAMIC_CONSTRUCT,
    INVALID_COMPUTE,
    INVALID_FORMAT,
    NOT_A_DATASET,
    NOT_A_TASK,
    OVERLAPPING_STORAGE,
    RETURN_CONTRADICTS_SCHEMA,
    SCHEMA_MISMATCH,
    SHADOWED_DATASET,
    UNKNOWN_NAME,
)
from glacier.storage.locations import STORAGE_CLASSES, declared_location
from glacier.task_options import (
    TASK_OPTION_DEFAULTS,
    TaskOptions,
    make_task_options,
    validate_task_options,
)

_BUILTINS = frozenset(dir(builtins))
_GLACIER_ALL = ("Dataset", "Pipeline", "task", "compute", "storage")


# -- symbolic values -----------------------------------------------------------------------


@dataclass(frozen=True)
class VModule:
    name: str


@dataclass(frozen=True)
class VSym:
    """A Glacier API object: `Dataset`, `task`, `Pipeline`, `compute.<k>`, `storage.<C>`."""

    name: str


@dataclass(frozen=True)
class VDataset:
    #: ``module:sequence``, stable while the declaring module is unchanged.
    index: str


@dataclass(frozen=True)
class VTask:
    id: str


@dataclass(frozen=True)
class VStorage:
    kind: str
    data: dict[str, Any] | None


@dataclass(frozen=True)
class VCompute:
    data: dict[str, Any] | None


@dataclass(frozen=True)
class VSeq:
    items: tuple[tuple[Value, Expr], ...]


@dataclass(frozen=True)
class VConst:
    value: Any


@dataclass(frozen=True)
class VOpaque:
    """Something that is not Glacier's, or (``dynamic``) only known at run time."""

    description: str
    dynamic: bool = False


@dataclass(frozen=True)
class VMissing:
    """A name that is bound nowhere (yet)."""

    name: str
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class VPipeline:
    index: int


@dataclass(frozen=True)
class VUnknown:
    """Something from a module that does not parse: it may be anything, so nothing is claimed."""

    #: The module it comes from.
    module: str


Value = (
    (VModule | VSym | VDataset | VTask | VStorage | VCompute | VSeq | VConst | VOpaque | VMissing)
    | VPipeline
    | VUnknown
)

#: The key under which an env records a ``from M import *`` of a module that does not parse:
#: any name not bound otherwise may come from there.
_STAR_UNKNOWN = "*"


class _SourceText:
    """A value known only by kind, shown in messages as the source that wrote it."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


# -- resolver state -------------------------------------------------------------------------


@dataclass(frozen=True)
class ModuleSource:
    """One analysed file and the module name it has."""

    name: str
    path: str
    facts: FileFacts
    is_package: bool


@dataclass
class DatasetState:
    name: str
    variable: str | None
    module: str
    span: Span
    storage: dict[str, Any] | None
    has_storage: bool
    schema: str | None
    #: The literal ``format=``, if given and known.
    format: str | None = None


@dataclass
class TaskState:
    id: str
    name: str
    module: str
    span: Span
    name_span: Span
    env: dict[str, Value]
    params: tuple[Param, ...]
    returns: Annotation | None
    compute: dict[str, Any] | None
    inputs: dict[str, str] = field(default_factory=dict)
    #: ``@task(retries=..., cache=..., cache_version=..., secrets=...)``, validated.
    options: TaskOptions = field(default_factory=TaskOptions)
    output: str | None = None
    pending: bool = False
    finalizing: bool = False
    #: Modules that do not parse, from which part of the signature comes.
    unknown: set[str] = field(default_factory=set)


@dataclass
class PipelineState:
    name: str | None
    variable: str | None
    module: str
    span: Span
    members: tuple[str, ...]
    graph: PipelineGraph
    #: Part of the task list could not be resolved, so the graph may be incomplete.
    incomplete: bool
    element_spans: tuple[Span, ...] = ()
    #: Modules that do not parse, on which part of the pipeline depends (its graph may
    #: lack tasks and inputs from there).
    unknown: tuple[str, ...] = ()


@dataclass
class ModuleOutput:
    """What executing one module produced; reused while it and its imports are unchanged."""

    source: ModuleSource
    env: dict[str, Value]
    deps: list[str] = field(default_factory=list)
    datasets: list[tuple[str, DatasetState]] = field(default_factory=list)
    tasks: list[TaskState] = field(default_factory=list)
    pipelines: list[PipelineState] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    #: The module builds a pipeline inside a function, which the analyzer does not follow.
    hidden_pipelines: bool = False


@dataclass
class Resolution:
    """The result of resolving every module."""

    datasets: dict[str, DatasetState]
    tasks: dict[str, TaskState]
    pipelines: list[PipelineState]
    findings: list[Finding]
    references: list[Reference]
    #: Module -> its group of modules connected by imports (separate programs apart).
    components: dict[str, int] = field(default_factory=dict)
    #: Per-module outputs, to pass as ``previous`` to the next resolver.
    outputs: dict[str, ModuleOutput] = field(default_factory=dict)
    #: Modules whose previous output was reused.
    reused: set[str] = field(default_factory=set)


def is_glacier_module(name: str) -> bool:
    return name == "glacier" or name.startswith("glacier.")


def does_not_parse(source: ModuleSource) -> bool:
    """The module has a syntax error and no earlier facts stand in for it."""
    return source.facts.syntax_error is not None and not source.facts.statements


class Resolver:
    """Interprets every module's statements once."""

    def __init__(
        self,
        modules: Sequence[ModuleSource],
        previous: Mapping[str, ModuleOutput] | None = None,
    ) -> None:
        self.modules = {m.name: m for m in modules}
        self.previous = previous or {}
        self.outputs: dict[str, ModuleOutput] = {}
        self.reused: set[str] = set()
        self.running: list[str] = []
        self.envs: dict[str, dict[str, Value]] = {}
        self.done: set[str] = set()
        self.datasets: dict[str, DatasetState] = {}
        self.tasks: dict[str, TaskState] = {}
        self.pipelines: list[PipelineState] = []
        self.findings: list[Finding] = []
        self.references: list[Reference] = []
        self._seen: set[tuple[str, Span, str]] = set()
        self._current: ModuleSource | None = None
        self.edges: list[tuple[str, str]] = []
        #: The variable of the assignment being evaluated (names a pipeline in messages).
        self.assigning: str | None = None

    # -- driving ---------------------------------------------------------------------

    def run(self) -> Resolution:
        for name in sorted(self.modules):
            self.execute(name)
        for name, source in sorted(self.modules.items()):
            if does_not_parse(source):
                # Nothing of it runs, but what it imports is what it may use.
                self.edges.extend((name, target) for target in self.scanned_imports(source))
        for task in list(self.tasks.values()):
            if task.pending:
                self.finalize(task)
        return Resolution(
            self.datasets,
            self.tasks,
            self.pipelines,
            self.findings,
            self.references,
            _components(list(self.modules), self.edges),
            self.outputs,
            self.reused,
        )

    def execute(self, name: str) -> dict[str, Value]:
        if self._current is not None:
            self.edges.append((self._current.name, name))
            deps = self.outputs[self._current.name].deps
            if name not in deps:
                deps.append(name)
        env = self.envs.get(name)
        if env is not None:
            return env  # done, or running (a circular import sees the partial module)
        source = self.modules[name]
        if self.restore(name, source):
            return self.envs[name]
        env = {}
        self.envs[name] = env
        self.outputs[name] = ModuleOutput(source, env)
        previous, self._current = self._current, source
        self.running.append(name)
        try:
            for statement in source.facts.statements:
                self.statement(statement, env)
        except RecursionError:
            self.report(
                Finding.of(
                    DYNAMIC_CONSTRUCT,
                    Span(source.path, 1, 1, 1, 1),
                    what="the chain of imports of this module",
                    skipped="the rest of it (imports nest too deeply)",
                )
            )
        finally:
            self._current = previous
            self.running.pop()
        self.done.add(name)
        return env

    def scanned_imports(self, source: ModuleSource) -> Iterator[str]:
        """The project modules a file's import lines name (found without parsing)."""
        package = source.name if source.is_package else source.name.rpartition(".")[0]
        for level, dotted in source.facts.imports:
            if level:
                parts = package.split(".") if package else []
                if level - 1 > len(parts):
                    continue
                base = parts[: len(parts) - (level - 1)]
                dotted = ".".join([*base, dotted] if dotted else base)
            parts = dotted.split(".")
            for end in range(1, len(parts) + 1):
                prefix = ".".join(parts[:end])
                if prefix in self.modules:
                    yield prefix

    def restore(self, name: str, source: ModuleSource) -> bool:
        """Reuse the previous output of an unchanged module whose imports are unchanged."""
        memo = self.previous.get(name)
        if memo is None or memo.source.facts is not source.facts or memo.source != source:
            return False
        deps = list(dict.fromkeys(memo.deps))
        if any(dep in self.running or dep == name for dep in deps):
            return False  # part of an import cycle: execute it for real
        self.envs[name] = memo.env
        self.running.append(name)
        try:
            for dep in deps:
                if dep not in self.modules:
                    return self._unrestore(name)
                self.execute(dep)
                if dep not in self.reused:
                    return self._unrestore(name)
        finally:
            self.running.pop()
        self.outputs[name] = memo
        self.reused.add(name)
        self.done.add(name)
        for dep in deps:
            self.edges.append((name, dep))
        for key, dataset in memo.datasets:
            self.datasets[key] = dataset
        for task in memo.tasks:
            self.tasks[task.id] = task
        self.pipelines.extend(memo.pipelines)
        for finding in memo.findings:
            self._seen.add((finding.rule.code, finding.span, finding.message))
            self.findings.append(finding)
        self.references.extend(memo.references)
        return True

    def _unrestore(self, name: str) -> bool:
        del self.envs[name]
        return False

    @property
    def current(self) -> ModuleSource:
        assert self._current is not None
        return self._current

    def span(self, pos: Pos, source: ModuleSource | None = None) -> Span:
        path = (source or self.current).path
        return Span(path, pos[0], pos[1], pos[2], pos[3])

    @property
    def bucket(self) -> ModuleOutput:
        return self.outputs[self.current.name]

    def report(self, finding: Finding) -> None:
        key = (finding.rule.code, finding.span, finding.message)
        if key not in self._seen:
            self._seen.add(key)
            self.findings.append(finding)
            self.bucket.findings.append(finding)

    def add_reference(self, reference: Reference) -> None:
        self.references.append(reference)
        self.bucket.references.append(reference)

    def reference(
        self,
        pos: Pos,
        value: Value,
        role: Literal["declaration", "input", "output", "pipeline-element", "variable"],
    ) -> None:
        if isinstance(value, VDataset):
            name = self.datasets[value.index].name
            self.add_reference(Reference(self.span(pos), "dataset", name, role))
        elif isinstance(value, VTask):
            self.add_reference(Reference(self.span(pos), "task", value.id, role))

    def dynamic(self, pos: Pos, what: str, skipped: str) -> None:
        self.report(Finding.of(DYNAMIC_CONSTRUCT, self.span(pos), what=what, skipped=skipped))

    # -- statements ------------------------------------------------------------------

    def statement(self, statement: Statement, env: dict[str, Value]) -> None:
        if isinstance(statement, SAssign):
            self.assign(statement, env)
        elif isinstance(statement, SDef):
            self.define(statement, env)
        elif isinstance(statement, SExpr):
            self.evaluate(statement.value, env)
        elif isinstance(statement, SImport):
            self.import_(statement, env)
        elif isinstance(statement, SFrom):
            self.import_from(statement, env)
        elif isinstance(statement, SBind):
            env[statement.name] = VOpaque(statement.description, statement.dynamic)
        elif isinstance(statement, SDelete):
            for name in statement.names:
                env.pop(name, None)
        elif isinstance(statement, SNote):
            self.dynamic(statement.pos, statement.what, statement.skipped)
        elif isinstance(statement, SReturn):
            self.returned(statement, env)
        elif isinstance(statement, SInnerCall):
            if self.evaluate(statement.func, env) == VSym("Pipeline"):
                self.dynamic(
                    statement.pos,
                    f"a `Pipeline(...)` built inside function `{statement.function}`",
                    "it (pipelines are read where a module builds them at import)",
                )
                self.bucket.hidden_pipelines = True

    def assign(self, statement: SAssign, env: dict[str, Value]) -> None:
        self.assigning = statement.targets[0][0] if statement.targets else None
        try:
            value = self.evaluate(statement.value, env)
        finally:
            self.assigning = None
        if isinstance(value, VDataset) and isinstance(statement.value, ECall):
            dataset = self.datasets[value.index]
            if dataset.variable is None:
                dataset.variable = statement.targets[0][0]
                self.reference(statement.targets[0][1], value, "declaration")
        elif isinstance(value, VPipeline) and isinstance(statement.value, ECall):
            pipeline = self.pipelines[value.index]
            if pipeline.variable is None:
                pipeline.variable = statement.targets[0][0]
        elif isinstance(statement.value, (EName, EAttr)):
            self.reference(statement.value.pos, value, "variable")
            for _, pos in statement.targets:
                self.reference(pos, value, "variable")
        for name, _ in statement.targets:
            env[name] = value

    # -- imports ---------------------------------------------------------------------

    def load(self, module: str) -> None:
        """Run every project module on the way to ``module`` (``a``, ``a.b``, ``a.b.c``)."""
        if is_glacier_module(module):
            return
        parts = module.split(".")
        for end in range(1, len(parts) + 1):
            prefix = ".".join(parts[:end])
            if prefix in self.modules:
                self.execute(prefix)

    def import_(self, statement: SImport, env: dict[str, Value]) -> None:
        self.load(statement.module)
        if statement.alias is not None:
            env[statement.alias] = VModule(statement.module)
        else:
            top = statement.module.split(".")[0]
            env[top] = VModule(top)

    def absolute(self, statement: SFrom) -> str | None:
        if statement.level == 0:
            return statement.module
        source = self.current
        package = source.name if source.is_package else source.name.rpartition(".")[0]
        parts = package.split(".") if package else []
        up = statement.level - 1
        if up > len(parts) or (up == len(parts) and not statement.module and not parts):
            return None
        base = parts[: len(parts) - up]
        if statement.module:
            base.append(statement.module)
        return ".".join(base) or None

    def import_from(self, statement: SFrom, env: dict[str, Value]) -> None:
        module = self.absolute(statement)
        if module is None:
            for name, alias, _ in statement.names:
                env[alias or name] = VOpaque(f"`{name}`", True)
            return
        self.load(module)
        for name, alias, pos in statement.names:
            if name == "*":
                env.update(self.star(module))
                continue
            value = self.attribute(module, name)
            if isinstance(value, VMissing) and f"{module}.{name}" in self.modules:
                self.load(f"{module}.{name}")
                value = VModule(f"{module}.{name}")
            env[alias or name] = value
            self.reference(pos, value, "variable")

    def star(self, module: str) -> dict[str, Value]:
        if is_glacier_module(module):
            return {name: self.attribute(module, name) for name in _GLACIER_ALL}
        source = self.modules.get(module)
        if source is None or source.facts.skipped:
            return {}
        env = self.execute(module)
        if does_not_parse(source):
            return {_STAR_UNKNOWN: VUnknown(module)}
        names = source.facts.all_names
        if names is not None:
            return {n: env[n] for n in names if n in env}
        return {n: v for n, v in env.items() if not n.startswith("_")}

    def attribute(self, module: str, name: str) -> Value:
        """``module.name``, as ``getattr`` after import would see it."""
        if is_glacier_module(module):
            return _glacier_attribute(module, name)
        source = self.modules.get(module)
        if source is None or source.facts.skipped:
            submodule = f"{module}.{name}"
            if submodule in self.modules:
                self.load(submodule)
                return VModule(submodule)
            return VOpaque(f"`{module}.{name}`")
        env = self.execute(module)
        if name in env:
            return env[name]
        if f"{module}.{name}" in self.modules:
            return VModule(f"{module}.{name}")
        if does_not_parse(source):
            return VUnknown(module)
        if _STAR_UNKNOWN in env:
            return env[_STAR_UNKNOWN]
        return VMissing(name, tuple(n for n in env if n != _STAR_UNKNOWN))

    # -- expressions -----------------------------------------------------------------

    def evaluate(self, expr: Expr, env: dict[str, Value]) -> Value:
        if isinstance(expr, EName):
            if expr.name in env:
                return env[expr.name]
            if expr.name in _BUILTINS:
                return VOpaque(f"`{expr.name}`")
            if _STAR_UNKNOWN in env:
                return env[_STAR_UNKNOWN]
            return VMissing(expr.name, tuple(n for n in env if n != _STAR_UNKNOWN))
        if isinstance(expr, EAttr):
            base = self.evaluate(expr.value, env)
            if isinstance(base, VModule):
                value = self.attribute(base.name, expr.attr)
                if isinstance(value, VMissing):
                    prefix = expr_text(expr.value)
                    return VMissing(
                        expr_text(expr), tuple(f"{prefix}.{c}" for c in value.candidates)
                    )
                return value
            if isinstance(base, VMissing):
                return VMissing(expr_text(expr), ())
            if isinstance(base, VUnknown):
                return base
            dynamic = isinstance(base, VOpaque) and base.dynamic
            return VOpaque(f"`{expr_text(expr)}`", dynamic)
        if isinstance(expr, ECall):
            return self.call(expr, env)
        if isinstance(expr, EConst):
            return VConst(expr.value)
        if isinstance(expr, ESeq):
            return VSeq(tuple((self.evaluate(e, env), e) for e in expr.elements))
        return VOpaque(f"`{expr.text}`", True)

    def call(self, expr: ECall, env: dict[str, Value]) -> Value:
        func = self.evaluate(expr.func, env)
        if isinstance(func, VSym):
            if func.name == "Dataset":
                return self.dataset(expr, env)
            if func.name == "Pipeline":
                return self.pipeline(expr, env)
            if func.name.startswith("compute."):
                return self.compute(func.name.partition(".")[2], expr)
            if func.name.startswith("storage."):
                return self.storage(func.name.partition(".")[2], expr)
            if func.name == "task":
                return func
        for argument in (*expr.args, *(value for _, value in expr.kwargs)):
            if isinstance(argument, ECall):
                self.evaluate(argument, env)  # a Dataset(...) inside still declares it
        if isinstance(func, VUnknown):
            return func
        return VOpaque(f"`{expr_text(expr)}`", True)

    def literal(self, expr: Expr) -> tuple[bool, Any]:
        if isinstance(expr, EConst):
            return True, expr.value
        return False, None

    def dataset(self, expr: ECall, env: dict[str, Value]) -> Value:
        args = dict(zip(("name", "storage", "schema"), expr.args, strict=False))
        args.update(expr.kwargs)
        name_expr = args.get("name")
        if expr.unpacked or name_expr is None:
            self.dynamic(expr.pos, "the arguments of this `Dataset(...)`", "this dataset")
            return VOpaque("a dataset built at run time", True)
        known, name = self.literal(name_expr)
        if not known or not isinstance(name, str) or not name.strip():
            self.dynamic(
                name_expr.pos, f"the dataset name `{expr_text(name_expr)}`", "this dataset"
            )
            return VOpaque("a dataset built at run time", True)
        storage: dict[str, Any] | None = None
        has_storage = False
        storage_expr = args.get("storage")
        if storage_expr is not None:
            value = self.evaluate(storage_expr, env)
            if isinstance(value, VStorage):
                has_storage = True
                storage = value.data or {"kind": value.kind}
            elif isinstance(value, VUnknown):
                has_storage = True  # it may be stored: never claim a producer is missing
            elif not (isinstance(value, VConst) and value.value is None):
                self.dynamic(
                    storage_expr.pos,
                    f"the storage `{expr_text(storage_expr)}`",
                    f"the storage of dataset `{name}`",
                )
        schema_expr = args.get("schema")
        schema = None
        if schema_expr is not None and not (
            isinstance(schema_expr, EConst) and schema_expr.value is None
        ):
            schema = expr_text(schema_expr)
            self.check_schema(name, schema_expr, env)
        state = DatasetState(
            name,
            None,
            self.current.name,
            self.span(expr.pos),
            storage,
            has_storage,
            schema,
            self.dataset_format(name, args.get("format")),
        )
        bucket = self.bucket
        key = f"{self.current.name}:{len(bucket.datasets)}"
        self.datasets[key] = state
        bucket.datasets.append((key, state))
        return VDataset(key)

    def check_schema(self, name: str, expr: Expr, env: dict[str, Value]) -> None:
        """GLC016 when ``schema=`` is a literal, a display or a Glacier object, not a type."""
        if isinstance(expr, EConst):
            what = f"the constant {expr.value!r}"
        elif isinstance(expr, ESeq):
            what = f"the display `{expr_text(expr)}`"
        elif isinstance(expr, (EName, EAttr)):
            value = self.evaluate(expr, env)
            kinds = {
                VDataset: "a dataset",
                VTask: "a task",
                VStorage: "a storage location",
                VCompute: "a compute setting",
                VPipeline: "a pipeline",
                VModule: "a module",
            }
            kind = next((k for cls, k in kinds.items() if isinstance(value, cls)), None)
            if kind is None:
                return
            what = f"{kind} (`{expr_text(expr)}`)"
        else:
            return
        problem = schema_problem(name, what, expr_text(expr))
        self.report(Finding(SCHEMA_MISMATCH, problem, self.span(expr.pos)))

    def returned(self, statement: SReturn, env: dict[str, Value]) -> None:
        """GLC017 when a task's ``return`` cannot match its dataset's schema."""
        value = env.get(statement.function)
        if not isinstance(value, VTask):
            return
        task = self.tasks.get(value.id)
        if task is None or task.pending or task.output is None:
            return
        dataset = self.datasets.get(task.output)
        if dataset is None or dataset.schema is None:
            return
        local_classes: set[str] = set()
        if dataset.module == self.current.name:
            local_classes = {
                name
                for name, bound in env.items()
                if isinstance(bound, VOpaque) and bound.description.startswith("class ")
            }
        shape = return_check.schema_shape(dataset.schema, local_classes)
        hint = (
            None
            if shape is None
            else return_check.contradiction(shape, statement.found, dataset.schema)
        )
        if hint is None:
            return
        self.report(
            Finding.of(
                RETURN_CONTRADICTS_SCHEMA,
                self.span(statement.pos),
                data={"found": statement.found},
                task=task.name,
                found=return_check.describe(statement.found),
                dataset=dataset.name,
                schema=dataset.schema,
                advice=hint,
            )
        )

    def dataset_format(self, name: str, expr: Expr | None) -> str | None:
        """The literal ``format=`` of dataset ``name``; GLC014 when it is unknown."""
        if expr is None:
            return None
        known, value = self.literal(expr)
        if not known:
            self.dynamic(expr.pos, f"the format `{expr_text(expr)}`", f"the format of `{name}`")
            return None
        problem = format_problem(name, value)
        if problem is not None:
            self.report(Finding(INVALID_FORMAT, problem, self.span(expr.pos)))
            return None
        return value if isinstance(value, str) else None

    def storage(self, kind: str, expr: ECall) -> Value:
        cls = STORAGE_CLASSES[kind]
        values = [self.literal(a) for a in expr.args]
        keywords = {k: self.literal(v) for k, v in expr.kwargs}
        if expr.unpacked or not all(ok for ok, _ in [*values, *keywords.values()]):
            self.dynamic(expr.pos, f"the arguments of `{kind}(...)`", "its location")
            return VStorage(cls.kind, None)
        try:
            # A relative LocalPath means the analysed project's root, as at run time.
            instance = declared_location(
                kind,
                [v for _, v in values],
                {k: v for k, (_, v) in keywords.items()},
                self.current.path,
            )
        except (TypeError, ValueError) as error:
            self.dynamic(expr.pos, f"`{kind}(...)` ({error})", "its location")
            return VStorage(cls.kind, None)
        return VStorage(cls.kind, instance.to_dict())

    def compute(self, kind: str, expr: ECall) -> Value:
        label = f"`compute.{kind}()`"
        arguments: dict[str, Any] = {}
        positions: dict[str, Pos] = {}
        positional = list(expr.args)
        if kind == "container" and positional:
            arguments["image"] = positional.pop(0)
        if positional:
            self.report(
                Finding.of(
                    INVALID_COMPUTE,
                    self.span(positional[0].pos),
                    detail=f"{label} takes keyword arguments only here",
                )
            )
            return VCompute(None)
        for key, value in expr.kwargs:
            arguments[key] = value
        if expr.unpacked:
            self.dynamic(expr.pos, f"the arguments of {label}", "its validation")
            return VCompute(None)
        literal: dict[str, Any] = {}
        for key, value in arguments.items():
            positions[key] = value.pos
            known, constant = self.literal(value)
            if not known:
                self.dynamic(
                    value.pos, f"the argument `{key}` of {label}", "the validation of this compute"
                )
                return VCompute(None)
            literal[key] = constant
        problems = validate_compute(kind, literal)
        for problem in problems:
            where = next((p for k, p in positions.items() if f"`{k}`" in problem), expr.pos)
            self.report(Finding.of(INVALID_COMPUTE, self.span(where), detail=problem))
        if problems:
            return VCompute(None)
        return VCompute(normalize_compute(kind, literal))

    # -- tasks -----------------------------------------------------------------------

    def define(self, statement: SDef, env: dict[str, Value]) -> None:
        compute_expr: Expr | None = None
        option_exprs: dict[str, Expr] = {}
        is_task = False
        unknown: VUnknown | None = None
        for decorator in statement.decorators:
            func = self.evaluate(decorator.func if isinstance(decorator, ECall) else decorator, env)
            if func == VSym("task"):
                is_task = True
                if isinstance(decorator, ECall):
                    compute_expr = dict(decorator.kwargs).get("compute")
                    option_exprs = {k: v for k, v in decorator.kwargs if k != "compute"}
            elif isinstance(func, VUnknown):
                unknown = func
        if not is_task:
            # A decorator from a module that does not parse might make it a task.
            env[statement.name] = unknown or VOpaque(f"`{statement.name}`")
            return
        module = self.current
        task_id = f"{module.name}.{statement.name}"
        previous = env.get(statement.name)
        span = self.span(statement.pos)
        if isinstance(previous, VDataset):
            dataset = self.datasets[previous.index]
            self.report(
                Finding.of(
                    SHADOWED_DATASET,
                    span,
                    related=(Related(dataset.span, f"dataset `{dataset.name}` is declared here"),),
                    task=statement.name,
                    dataset=dataset.name,
                    variable=statement.name,
                )
            )
        compute = None
        if compute_expr is not None:
            value = self.evaluate(compute_expr, env)
            if isinstance(value, VCompute):
                compute = value.data
            elif (isinstance(value, VConst) and value.value is None) or isinstance(value, VUnknown):
                compute = None
            elif isinstance(value, VOpaque) and value.dynamic:
                self.dynamic(
                    compute_expr.pos,
                    f"the compute `{expr_text(compute_expr)}`",
                    f"the compute of task `{statement.name}`",
                )
            else:
                self.report(
                    Finding.of(
                        INVALID_COMPUTE,
                        self.span(compute_expr.pos),
                        detail=f"compute of task `{statement.name}` must come from "
                        "glacier.compute (local, container, serverless)",
                    )
                )
        task = TaskState(
            task_id,
            statement.name,
            module.name,
            span,
            self.span(statement.name_pos),
            env,
            statement.params,
            statement.returns,
            compute,
            options=self.task_options(statement.name, option_exprs, env),
        )
        self.tasks[task_id] = task
        self.bucket.tasks.append(task)
        self.add_reference(Reference(task.name_span, "task", task_id, "declaration"))
        self.resolve_signature(task, final=False)
        env[statement.name] = VTask(task_id)

    def task_options(
        self, task: str, expressions: Mapping[str, Expr], env: dict[str, Value]
    ) -> TaskOptions:
        """The literal options of ``@task(...)``, validated as the runtime does (GLC007)."""
        literal: dict[str, Any] = {}
        for key, expr in expressions.items():
            if key not in TASK_OPTION_DEFAULTS:
                continue  # not a keyword of `task`: mypy and the runtime both reject it
            known, value = self.option_value(expr, env)
            if not known:
                self.dynamic(
                    expr.pos,
                    f"the option `{key}` of task `{task}`",
                    "the validation of this option",
                )
                continue
            problems = validate_task_options({key: value}, task)
            for problem in problems:
                self.report(Finding.of(INVALID_COMPUTE, self.span(expr.pos), detail=problem))
            if not problems:
                literal[key] = value
        return make_task_options(task, **literal)

    def option_value(self, expr: Expr, env: dict[str, Value]) -> tuple[bool, Any]:
        """A literal (or a module constant), a list or tuple of them, or unknown."""
        value = self.evaluate(expr, env)
        if isinstance(value, VConst):
            return True, value.value
        if isinstance(value, VSeq):
            if not all(isinstance(v, VConst) for v, _ in value.items):
                return False, None
            return True, [v.value for v, _ in value.items if isinstance(v, VConst)]
        if isinstance(value, (VOpaque, VMissing)):
            return False, None
        # A dataset, task, compute...: the wrong type, reported with its source text.
        return True, _SourceText(expr_text(expr))

    def resolve_signature(self, task: TaskState, *, final: bool) -> None:
        """Resolve annotations in the task's module as it stands now (runtime semantics)."""
        source = self.modules[task.module]
        previous, self._current = self._current, source
        try:
            pending = False
            task.inputs = {}
            task.unknown = set()
            for param in task.params:
                if param.variadic:
                    continue
                if param.annotation is None:
                    if not param.has_default:
                        self.not_a_dataset(
                            task, param.pos, f"Parameter `{param.name}`", "not annotated"
                        )
                    continue
                index = self.annotation(task, param.annotation, param, final)
                if index == "pending":
                    pending = True
                elif index is not None:
                    task.inputs[param.name] = index
            task.output = None
            if task.returns is not None:
                index = self.annotation(task, task.returns, None, final)
                if index == "pending":
                    pending = True
                elif index is not None:
                    task.output = index
            task.pending = pending and not final
        finally:
            self._current = previous

    def finalize(self, task: TaskState) -> None:
        if not task.pending or task.finalizing:
            return
        task.finalizing = True
        try:
            self.resolve_signature(task, final=True)
        finally:
            task.finalizing = False
            task.pending = False

    def annotation(
        self, task: TaskState, annotation: Annotation, param: Param | None, final: bool
    ) -> str | Literal["pending"] | None:
        """The dataset an annotation names (its index), ``None``, or ``"pending"``."""
        value = self.evaluate(annotation.expr, task.env)
        subject = "The return annotation" if param is None else f"Parameter `{param.name}`"
        has_default = param is not None and param.has_default
        role: Literal["input", "output"] = "output" if param is None else "input"
        if isinstance(value, VMissing):
            if annotation.deferred and not final:
                return "pending"
            self.unknown(value, annotation.pos, task.name)
            return None
        if isinstance(value, VUnknown):
            task.unknown.add(value.module)
            return None
        if isinstance(value, VDataset):
            self.reference(annotation.pos, value, role)
            return value.index
        if isinstance(value, VTask):
            self.reference(annotation.pos, value, role)
            producer = self.tasks[value.id]
            self.finalize(producer)
            if producer.output is not None:
                return producer.output
            if not has_default:
                self.not_a_dataset(
                    task,
                    annotation.pos,
                    subject,
                    f"task `{producer.name}`, which produces no dataset",
                )
            return None
        if param is None and isinstance(value, VConst) and value.value is None:
            return None
        if isinstance(value, VOpaque) and value.dynamic:
            self.dynamic(
                annotation.pos,
                f"the annotation `{expr_text(annotation.expr)}`",
                f"{subject[0].lower()}{subject[1:]} of task `{task.name}`",
            )
            return None
        if not has_default:
            self.not_a_dataset(task, annotation.pos, subject, _describe(value, annotation.expr))
        return None

    def not_a_dataset(self, task: TaskState, pos: Pos, subject: str, what: str) -> None:
        self.report(
            Finding.of(
                NOT_A_DATASET, self.span(pos), subject=subject, task=task.name, annotation=what
            )
        )

    def unknown(self, value: VMissing, pos: Pos, context: str | None = None) -> None:
        matches = difflib.get_close_matches(value.name, value.candidates, n=1)
        suggestion = f" (did you mean `{matches[0]}`?)" if matches else ""
        self.report(
            Finding.of(
                UNKNOWN_NAME,
                self.span(pos),
                name=value.name,
                suggestion=suggestion,
                data={"suggestion": matches[0] if matches else None},
            )
        )

    # -- pipelines -------------------------------------------------------------------

    def pipeline(self, expr: ECall, env: dict[str, Value]) -> Value:
        func_pos = expr.func.pos
        span = self.span((func_pos[0], func_pos[1], func_pos[2], func_pos[3] + 1))
        tasks_expr = expr.args[0] if expr.args else dict(expr.kwargs).get("tasks")
        name_expr = expr.args[1] if len(expr.args) > 1 else dict(expr.kwargs).get("name")
        incomplete = False
        name: str | None = None
        if name_expr is not None:
            known, value = self.literal(name_expr)
            if known and (value is None or isinstance(value, str)):
                name = value
            else:
                self.dynamic(name_expr.pos, f"the pipeline name `{expr_text(name_expr)}`", "it")
        items: Sequence[tuple[Value, Expr]] = ()
        unknown: set[str] = set()
        if expr.unpacked or tasks_expr is None:
            self.dynamic(expr.pos, "the arguments of this `Pipeline(...)`", "its task list")
            incomplete = True
        else:
            value = self.evaluate(tasks_expr, env)
            if isinstance(value, VSeq):
                items = value.items
            elif isinstance(value, VUnknown):
                unknown.add(value.module)
            else:
                self.dynamic(
                    tasks_expr.pos,
                    f"the task list `{expr_text(tasks_expr)}`",
                    "the pipeline's tasks (write a literal list of tasks)",
                )
                incomplete = True
        members: list[str] = []
        spans: list[Span] = []
        for value, element in items:
            if isinstance(value, VUnknown):
                unknown.add(value.module)
                continue
            member = self.element(value, element)
            if member is False:
                incomplete = True
            elif member is not None:
                members.append(member)
                spans.append(self.span(element.pos))
        nodes: dict[str, TaskNode] = {}
        used: set[str] = set()
        for task_id in members:
            if task_id in nodes:
                continue
            task = self.tasks[task_id]
            self.finalize(task)
            unknown.update(task.unknown)
            used.update(task.inputs.values())
            if task.output is not None:
                used.add(task.output)
            nodes[task_id] = TaskNode(
                task_id,
                task.name,
                tuple(Input(p, self.datasets[i].name) for p, i in task.inputs.items()),
                self.datasets[task.output].name if task.output is not None else None,
            )
        external = {self.datasets[i].name for i in used if self.datasets[i].has_storage}
        graph = build_pipeline_graph(list(nodes.values()), external)
        self.overlapping_storage(name, span, [self.datasets[i] for i in sorted(used)])
        state = PipelineState(
            name,
            None,
            self.current.name,
            span,
            tuple(nodes),
            graph,
            incomplete,
            tuple(spans),
            tuple(sorted(unknown)),
        )
        if unknown:
            label = f"`{name}`" if name else "this pipeline"
            modules = ", ".join(f"`{m}`" for m in sorted(unknown))
            self.report(
                Finding.of(
                    DYNAMIC_CONSTRUCT,
                    span,
                    what=f"what {label} takes from {modules} (which does not parse)",
                    skipped="looking for cycles, and for the producers of datasets named there",
                )
            )
        self.pipelines.append(state)
        self.bucket.pipelines.append(state)
        return VPipeline(len(self.pipelines) - 1)

    def overlapping_storage(
        self, name: str | None, span: Span, datasets: list[DatasetState]
    ) -> None:
        """GLC013 at the pipeline for datasets whose storage folders collide."""
        located = {d.name: d for d in datasets if d.storage and "uri" in d.storage}
        pairs = [(d.name, str(d.storage["uri"])) for d in located.values() if d.storage]
        label = f"`{name or self.assigning or 'pipeline'}`"
        for overlap in find_overlaps(sorted(pairs, key=lambda pair: pair[1])):
            related = tuple(
                Related(located[n].span, f"dataset `{n}` is declared here")
                for n in (overlap.dataset, overlap.other)
            )
            self.report(Finding(OVERLAPPING_STORAGE, overlap.message(label), span, related))

    def element(self, value: Value, element: Expr) -> str | Literal[False] | None:
        """A task id; ``None`` for a reported non-task; ``False`` for an unresolvable one."""
        span = self.span(element.pos)
        if isinstance(value, VTask):
            self.reference(element.pos, value, "pipeline-element")
            return value.id
        if isinstance(value, VMissing):
            self.unknown(value, element.pos)
            return None
        if isinstance(value, VDataset):
            described = f"Dataset `{self.datasets[value.index].name}`"
            self.reference(element.pos, value, "variable")
        elif (isinstance(value, VOpaque) and value.dynamic) or not isinstance(
            element, (EName, EAttr, EConst)
        ):
            self.dynamic(
                element.pos, f"the task-list element `{expr_text(element)}`", "that element"
            )
            return False
        else:
            described = _describe(value, element)
        self.report(Finding.of(NOT_A_TASK, span, element=described))
        return None


def _components(modules: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    parent = {m: m for m in modules}

    def find(m: str) -> str:
        while parent[m] != m:
            parent[m] = parent[parent[m]]
            m = parent[m]
        return m

    for a, b in edges:
        if a in parent and b in parent:
            parent[find(a)] = find(b)
    roots: dict[str, int] = {}
    return {m: roots.setdefault(find(m), len(roots)) for m in modules}


def _describe(value: Value, expr: Expr) -> str:
    if isinstance(value, VOpaque) and value.description.startswith("`"):
        return value.description
    if isinstance(value, VConst):
        return f"`{value.value!r}`"
    return f"`{expr_text(expr)}`"


def _glacier_attribute(module: str, name: str) -> Value:
    api = {"Dataset", "task", "Pipeline"}
    if module in ("glacier", "glacier.runtime"):
        if name in api:
            return VSym(name)
        if name in ("compute", "storage", "runtime"):
            return VModule(f"glacier.{name}")
    if module == "glacier.runtime.dataset" and name == "Dataset":
        return VSym(name)
    if module == "glacier.runtime.task" and name == "task":
        return VSym(name)
    if module == "glacier.runtime.pipeline" and name == "Pipeline":
        return VSym(name)
    if module == "glacier.compute":
        if name in COMPUTE_KINDS or (
            name.islower()
            and not name.startswith("_")
            and name
            not in ("make_compute", "normalize_compute", "validate_compute", "summarize_compute")
        ):
            return VSym(f"compute.{name}")
    if module == "glacier.storage" and name in STORAGE_CLASSES:
        return VSym(f"storage.{name}")
    return VOpaque(f"`{module}.{name}`")


def iter_statements(facts: FileFacts) -> Iterator[Statement]:
    yield from facts.statements
