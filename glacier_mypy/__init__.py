"""Glacier's mypy plugin: ``plugins = glacier_mypy``.

What it does (see ``docs/mypy.md`` for the user documentation):

* ``raw = Dataset("raw", schema=Row)`` makes ``raw`` valid in annotations, where it means
  ``Row`` (``Any`` without a schema). The variable itself stays an ordinary
  ``Dataset[Row]`` value. The dynamic-class hook records, next to the variable, two hidden
  symbols that mypy serializes with the module (``raw@glacier``: a type alias to the
  schema; ``raw@glacier-meta``: the dataset's name string and whether it has storage).
* The type-analyze hook turns an annotation naming a dataset variable into a reference to
  its hidden alias, so the dataset's identity survives in every task signature, including
  signatures read back from mypy's cache.
* The function hook on ``Pipeline(...)`` reads the listed tasks' signatures (serialized data
  only), builds the graph with `glacier.graph.build_pipeline_graph` and reports its
  problems with the error codes ``glacier-<rule name>`` from `glacier.rules`.

Every hook is guarded: an unexpected exception degrades to "no opinion" instead of an
INTERNAL ERROR (set ``GLACIER_STRICT=1`` to re-raise, as the tests do). The plugin keeps no
state between hooks; everything it knows lives in mypy's own, cached, nodes.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from mypy.errorcodes import VALID_TYPE, ErrorCode
from mypy.exprtotype import TypeTranslationError, expr_to_unanalyzed_type
from mypy.nodes import (
    ARG_NAMED,
    ARG_NAMED_OPT,
    ARG_OPT,
    ARG_POS,
    GDEF,
    MDEF,
    AssignmentStmt,
    Block,
    BytesExpr,
    CallExpr,
    ClassDef,
    ComplexExpr,
    ConditionalExpr,
    Context,
    Decorator,
    DictExpr,
    Expression,
    FloatExpr,
    ForStmt,
    FuncDef,
    IfStmt,
    IndexExpr,
    IntExpr,
    LambdaExpr,
    ListExpr,
    MemberExpr,
    MypyFile,
    NameExpr,
    OpExpr,
    OverloadedFuncDef,
    RefExpr,
    SetExpr,
    StarExpr,
    Statement,
    StrExpr,
    SymbolTableNode,
    TryStmt,
    TupleExpr,
    TypeAlias,
    TypeInfo,
    TypeVarLikeExpr,
    Var,
    WhileStmt,
    WithStmt,
    get_member_expr_fullname,
)
from mypy.plugin import (
    AnalyzeTypeContext,
    DynamicClassDefContext,
    FunctionContext,
    MethodContext,
    Plugin,
    ReportConfigContext,
)
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    LiteralType,
    NoneType,
    Parameters,
    ProperType,
    TupleType,
    Type,
    TypeAliasType,
    TypeOfAny,
    TypeType,
    UnboundType,
    UnionType,
    get_proper_type,
)

from glacier import __version__ as _glacier_version
from glacier.checks.overlapping_storage import find_overlaps
from glacier.graph import Input, MissingProducer, TaskNode, build_pipeline_graph
from glacier.rules import (
    CYCLE,
    DUPLICATE_PRODUCER,
    MISSING_PRODUCER,
    NOT_A_DATASET,
    NOT_A_TASK,
    OVERLAPPING_STORAGE,
    Rule,
)
from glacier.rules.registry import TARGET_LIMIT
from glacier.storage.locations import STORAGE_CLASSES, declared_location

#: Bump when the plugin's behaviour changes: mypy drops its caches when this changes.
__version__ = f"{_glacier_version}+mypy.4"

# Where the runtime classes are *defined*: mypy hooks see definition fullnames, whatever
# import spelling the user wrote (``glacier.Dataset``, ``import glacier as g``, aliases).
DATASET = "glacier.runtime.dataset.Dataset"
TASK = "glacier.runtime.task.Task"
#: ``@task`` and what ``@task(compute=...)`` returns.
TASK_DECORATOR = "glacier.runtime.task.task"
TASK_DECORATOR_CALL = "glacier.runtime.task.TaskDecorator.__call__"
PIPELINE = "glacier.runtime.pipeline.Pipeline"
#: Where the storage classes (``S3``, ``LocalPath``...) are defined.
STORAGE_MODULE = "glacier.storage.locations"

#: Suffix of the hidden alias that stands for a dataset variable in annotations.
ALIAS_SUFFIX = "@glacier"
#: Suffix of the hidden alias that records a dataset's name string and storage presence.
META_SUFFIX = "@glacier-meta"

STRICT_ENV = "GLACIER_STRICT"


def _error_code(rule: Rule) -> ErrorCode:
    return ErrorCode(rule.mypy_code, rule.summary, "Glacier")


#: mypy error codes, one per graph rule the plugin reports; created once (they register
#: themselves with mypy, which makes ``disable_error_code = glacier-cycle`` work).
ERROR_CODES: dict[str, ErrorCode] = {
    rule.name: _error_code(rule)
    for rule in (
        CYCLE,
        MISSING_PRODUCER,
        DUPLICATE_PRODUCER,
        NOT_A_DATASET,
        NOT_A_TASK,
        OVERLAPPING_STORAGE,
        TARGET_LIMIT,
    )
}

#: ``compute.<kind>()`` functions, whose literal arguments are checked against the
#: deployment target of ``[tool.glacier] target`` (GLC015).
COMPUTE_FUNCTIONS = {
    f"glacier.compute.{kind}": kind for kind in ("local", "container", "serverless")
}

_Ctx = TypeVar("_Ctx")
_Result = TypeVar("_Result")


def _guarded(
    hook: Callable[[_Ctx], _Result], fallback: Callable[[_Ctx], _Result]
) -> Callable[[_Ctx], _Result]:
    """Never let a plugin bug become mypy's INTERNAL ERROR (unless GLACIER_STRICT=1)."""

    def run(ctx: _Ctx) -> _Result:
        try:
            return hook(ctx)
        except Exception:
            if os.environ.get(STRICT_ENV) == "1":
                raise
            return fallback(ctx)

    return run


# -- semantic analysis: dataset declarations -----------------------------------------------


def _argument(call: CallExpr, keyword: str, position: int) -> Expression | None:
    """The expression passed for a parameter, by keyword or by position."""
    for index, (kind, name) in enumerate(zip(call.arg_kinds, call.arg_names, strict=True)):
        if kind == ARG_NAMED and name == keyword:
            return call.args[index]
    positional = [call.args[i] for i, kind in enumerate(call.arg_kinds) if kind == ARG_POS]
    if position < len(positional):
        return positional[position]
    return None


def _is_given(expr: Expression | None) -> bool:
    """Whether an optional argument was passed with a value other than ``None``."""
    if expr is None:
        return False
    return not (isinstance(expr, NameExpr) and expr.fullname == "builtins.None")


def _declare_dataset(ctx: DynamicClassDefContext) -> None:
    """``name = Dataset(...)``: add the hidden ``name@glacier`` alias and its metadata."""
    api = ctx.api
    qualified = api.qualified_name(ctx.name)
    if "." not in qualified:
        # A function-local dataset: not supported as an annotation (documented).
        return
    call = ctx.call
    # With *args / **kwargs nothing is statically known: the annotation means `Any`, the
    # name is unknown and storage is assumed (no missing-producer guesses).
    dynamic = any(kind not in (ARG_POS, ARG_NAMED) for kind in call.arg_kinds)
    name_expr = None if dynamic else _argument(call, "name", 0)
    storage_expr = None if dynamic else _argument(call, "storage", 1)
    schema_expr = None if dynamic else _argument(call, "schema", 2)

    target: Type = AnyType(TypeOfAny.special_form)
    ready = True
    if isinstance(schema_expr, (RefExpr, IndexExpr, OpExpr)) and not _names_a_value(
        ctx, schema_expr
    ):
        try:
            unanalyzed = expr_to_unanalyzed_type(schema_expr, api.options)
        except TypeTranslationError:
            unanalyzed = None
        if unanalyzed is not None:
            analyzed = api.anal_type(unanalyzed)
            if analyzed is None:
                ready = False  # not ready yet: mypy re-runs this hook on the next pass
            elif not _is_frame_schema(analyzed):
                target = analyzed

    meta = {
        "name": name_expr.value if isinstance(name_expr, StrExpr) else None,
        "variable": qualified,
        "storage": dynamic or _is_given(storage_expr),
        "uri": _storage_uri(api, storage_expr),
    }
    meta_type = LiteralType(
        json.dumps(meta, sort_keys=True), api.named_type("builtins.str"), line=call.line
    )
    kind = MDEF if qualified.count(".") > api.cur_mod_id.count(".") + 1 else GDEF
    # Reuse the alias object across passes, so types analysed in an earlier pass keep
    # pointing at the alias that ends up in the symbol table.
    alias = _set_alias(ctx, ctx.name + ALIAS_SUFFIX, qualified + ALIAS_SUFFIX, target, kind)
    _set_alias(ctx, ctx.name + META_SUFFIX, qualified + META_SUFFIX, meta_type, kind)
    if ready and alias is not None:
        # dmypy: a change of name or storage must re-check pipelines, which depend on
        # the tasks, which depend on the alias; so let the metadata fire the alias.
        api.add_plugin_dependency(
            f"<{qualified}{META_SUFFIX}>", target=f"<{qualified}{ALIAS_SUFFIX}>"
        )


def _names_a_value(ctx: DynamicClassDefContext, expr: Expression) -> bool:
    """``schema=orders_schema``: a variable (a pandera ``DataFrameSchema``, a
    ``pyarrow.Schema``) checks frames at run time; as a type it means nothing (``Any``)."""
    if not isinstance(expr, (NameExpr, MemberExpr)):
        return False
    name = get_member_expr_fullname(expr) if isinstance(expr, MemberExpr) else expr.name
    if name is None:
        return False
    found = ctx.api.lookup_qualified(name, ctx.call, suppress_errors=True)
    return found is not None and isinstance(found.node, Var)


def _is_frame_schema(analyzed: Type) -> bool:
    """A pandera ``DataFrameModel``: the run checks a pandas or polars frame against it,
    so the value is a frame, not an instance of the model (mypy sees ``Any``)."""
    proper = get_proper_type(analyzed)
    if not isinstance(proper, Instance):
        return False
    return any(base.fullname.startswith("pandera.") for base in proper.type.mro)


def _storage_uri(api: Any, expr: Expression | None) -> str | None:
    """The folder of ``S3(...)``, ``LocalPath(...)``... with literal arguments, else ``None``.

    Resolved like the static analyzer does (`declared_location`), so both report the
    same overlapping folders (GLC013).
    """
    if not isinstance(expr, CallExpr) or not isinstance(expr.callee, RefExpr):
        return None
    module, _, class_name = expr.callee.fullname.rpartition(".")
    if module != STORAGE_MODULE or class_name not in STORAGE_CLASSES:
        return None
    args: list[object] = []
    kwargs: dict[str, object] = {}
    for value, kind, keyword in zip(expr.args, expr.arg_kinds, expr.arg_names, strict=True):
        literal = _literal(value)
        if literal is _NOT_LITERAL or kind not in (ARG_POS, ARG_NAMED):
            return None
        if kind == ARG_POS:
            args.append(literal)
        elif keyword is not None:
            kwargs[keyword] = literal
    source = api.modules[api.cur_mod_id].path
    try:
        return declared_location(class_name, args, kwargs, source).uri
    except (TypeError, ValueError):
        return None  # the call itself is wrong: mypy or the runtime says so


def _set_alias(
    ctx: DynamicClassDefContext, name: str, fullname: str, target: Type, kind: int
) -> TypeAlias | None:
    api = ctx.api
    existing = api.lookup_qualified(name, ctx.call, suppress_errors=True)
    if (
        existing is not None
        and isinstance(existing.node, TypeAlias)
        and existing.node.fullname == fullname
    ):
        existing.node.target = target
        return existing.node
    alias = TypeAlias(target, fullname, api.cur_mod_id, ctx.call.line, ctx.call.column)
    api.add_symbol_table_node(
        name, SymbolTableNode(kind, alias, module_public=False, plugin_generated=True)
    )
    return alias


# -- semantic analysis: dataset variables in annotations ------------------------------------


def _dataset_annotation(
    plugin: GlacierPlugin, fullname: str
) -> Callable[[AnalyzeTypeContext], Type]:
    def analyze(ctx: AnalyzeTypeContext) -> Type:
        alias = plugin.lookup_alias(fullname)
        if alias is None:
            return AnyType(TypeOfAny.from_error)
        if ctx.type.args:
            ctx.api.fail(
                f"Dataset `{ctx.type.name}` takes no type arguments in an annotation; "
                "its schema gives its type",
                ctx.context,
                code=VALID_TYPE,
            )
        return TypeAliasType(alias, [], line=ctx.type.line, column=ctx.type.column)

    return analyze


def _task_output(node: object) -> TypeAliasType | None:
    """The dataset a task produces, when ``node`` is a task (a task in an annotation).

    In the task's own module (or its import cycle) mypy has not typed the decorated
    function yet, so the decorator expressions tell; from other modules, including cached
    ones, the serialized ``Task[...]`` type of the function does.
    """
    if not isinstance(node, Decorator) or not isinstance(node.func.type, CallableType):
        return None
    returned = node.func.type.ret_type
    if not isinstance(returned, TypeAliasType) or not _is_dataset_type(returned):
        return None
    if node.var.type is not None:
        is_task = _is_task_type(get_proper_type(node.var.type))
    else:
        is_task = any(_names_task_decorator(expr) for expr in node.decorators)
    return returned if is_task else None


def _names_task_decorator(expr: Expression) -> bool:
    if isinstance(expr, CallExpr):
        expr = expr.callee
    return isinstance(expr, RefExpr) and expr.fullname == TASK_DECORATOR


def _task_annotation(plugin: GlacierPlugin, fullname: str) -> Callable[[AnalyzeTypeContext], Type]:
    def analyze(ctx: AnalyzeTypeContext) -> Type:
        output = _task_output(plugin.lookup_node(fullname))
        if output is None or output.alias is None:
            return AnyType(TypeOfAny.from_error)
        return TypeAliasType(output.alias, [], line=ctx.type.line, column=ctx.type.column)

    return analyze


def _any_type(ctx: AnalyzeTypeContext) -> Type:
    return AnyType(TypeOfAny.from_error)


# -- type checking: task definitions (GLC004) -----------------------------------------------


def _is_dataset_type(typ: Type) -> bool:
    return (
        isinstance(typ, TypeAliasType)
        and typ.alias is not None
        and typ.alias.fullname.endswith(ALIAS_SUFFIX)
    )


def _is_error(typ: Type) -> bool:
    """mypy already reported this annotation (an undefined name, a function as a type...)."""
    proper = get_proper_type(typ)
    if isinstance(proper, UnboundType):
        return True
    # Only an explicit `Any` is the user's own annotation; other `Any`s come from errors.
    return isinstance(proper, AnyType) and proper.type_of_any != TypeOfAny.explicit


def _annotation_text(unanalyzed: Type | None, analyzed: Type) -> str:
    if isinstance(unanalyzed, UnboundType):
        return f"`{unanalyzed.name}`"
    return f"`{analyzed}`"


def _check_task_definition(ctx: FunctionContext | MethodContext) -> Type:
    """``@task`` applied to a function: every parameter without a default and the return
    annotation must name datasets (GLC004), as the runtime requires.

    Runs while mypy checks the task's own module, whose tree is always in memory; the
    errors are cached with that module like any other.
    """
    decorator = ctx.context
    if not isinstance(decorator, Decorator):
        return ctx.default_return_type  # task(compute=...) itself, or task(f) in code
    func = decorator.func
    signature = func.type
    unanalyzed = func.unanalyzed_type
    typed = isinstance(signature, CallableType) and isinstance(unanalyzed, CallableType)
    for index, argument in enumerate(func.arguments):
        if argument.kind not in (ARG_POS, ARG_NAMED):
            continue  # defaults are configuration; *args / **kwargs are not inputs
        subject = f"Parameter `{argument.variable.name}`"
        if argument.type_annotation is None:
            _not_a_dataset(ctx, argument, subject, func.name, "not annotated")
            continue
        if not isinstance(signature, CallableType) or index >= len(signature.arg_types):
            continue
        typ = signature.arg_types[index]
        if not _is_dataset_type(typ) and not _is_error(typ):
            text = _annotation_text(argument.type_annotation, typ)
            _not_a_dataset(ctx, argument.type_annotation, subject, func.name, text)
    if not typed or not isinstance(signature, CallableType):
        return ctx.default_return_type
    assert isinstance(unanalyzed, CallableType)
    returned = unanalyzed.ret_type
    implicit = isinstance(returned, AnyType) and returned.type_of_any == TypeOfAny.unannotated
    result = signature.ret_type
    if not implicit and not _is_dataset_type(result) and not _is_error(result):
        if not isinstance(get_proper_type(result), NoneType):
            text = _annotation_text(returned, result)
            _not_a_dataset(ctx, returned, "The return annotation", func.name, text)
    return ctx.default_return_type


def _not_a_dataset(
    ctx: FunctionContext | MethodContext, where: Context, subject: str, task: str, what: str
) -> None:
    message = NOT_A_DATASET.format(subject=subject, task=task, annotation=what)
    ctx.api.fail(message, where, code=ERROR_CODES[NOT_A_DATASET.name])


# -- type checking: pipelines ---------------------------------------------------------------


class _Dataset:
    """What the plugin knows about one dataset: its name string, storage presence and
    storage folder (when its arguments are literals)."""

    def __init__(self, name: str, storage: bool, uri: str | None = None) -> None:
        self.name = name
        self.storage = storage
        self.uri = uri


class _PipelineReader:
    """Reads one ``Pipeline([...])`` call into graph nodes, reporting items that are not tasks."""

    def __init__(self, plugin: GlacierPlugin, ctx: FunctionContext) -> None:
        self.plugin = plugin
        self.ctx = ctx
        self.nodes: list[TaskNode] = []
        self.names: dict[str, str] = {}
        self.datasets: dict[str, _Dataset] = {}
        #: Memo for this call only (no state survives the hook): alias fullname -> dataset.
        self.by_alias: dict[str, _Dataset | None] = {}
        #: Some item could not be resolved: missing producers are not reported then.
        self.incomplete = False

    # -- items ---------------------------------------------------------------------

    def read(self, items: Sequence[Expression]) -> None:
        for item in items:
            self.read_item(item)

    def read_item(self, item: Expression) -> None:
        if isinstance(item, StarExpr | ConditionalExpr):
            self.incomplete = True
        elif isinstance(item, RefExpr):
            self.read_reference(item)
        elif isinstance(item, (IntExpr, FloatExpr, ComplexExpr)):
            self.not_a_task(item, f"`{item.value}`")
        elif isinstance(item, StrExpr):
            self.not_a_task(item, f"`{item.value!r}`")
        elif isinstance(item, BytesExpr):
            self.not_a_task(item, f"`b{item.value!r}`")
        elif isinstance(item, LambdaExpr):
            self.not_a_task(item, "`<lambda>`")
        elif isinstance(item, (ListExpr, TupleExpr, SetExpr, DictExpr)):
            self.not_a_task(item, "a literal " + type(item).__name__[:-4].lower())
        else:
            self.read_typed(item, self.ctx.api.get_expression_type(item))

    def read_reference(self, item: RefExpr) -> None:
        node = item.node
        if isinstance(node, Decorator):
            var_type = node.var.type
            if var_type is None:
                self.incomplete = True  # e.g. an import cycle: mypy cannot tell yet
                return
            proper = get_proper_type(var_type)
            if isinstance(proper, AnyType):
                self.incomplete = True
            elif _is_task_type(proper):
                self.add_task(node.fullname, node.name, node.func.type)
            else:
                self.not_a_task(item, f"`{_ref_name(item)}`")
        elif isinstance(node, (FuncDef, OverloadedFuncDef, TypeInfo, MypyFile)):
            self.not_a_task(item, f"`{_ref_name(item)}`")
        elif isinstance(node, Var):
            self.read_variable(item, node)
        elif isinstance(node, TypeAlias):
            self.not_a_task(item, f"`{_ref_name(item)}`")
        elif node is None and isinstance(item, MemberExpr):
            self.read_typed(item, self.ctx.api.get_expression_type(item))
        else:
            self.incomplete = True

    def read_variable(self, item: RefExpr, var: Var) -> None:
        if var.type is None:
            self.incomplete = True
            return
        proper = get_proper_type(var.type)
        if isinstance(proper, Instance) and proper.type.has_base(DATASET):
            self.read_dataset_variable(item, var)
        elif _is_task_type(proper):
            assert isinstance(proper, Instance)
            self.add_task_from_type(var.fullname, var.name, proper)
        else:
            self.read_typed(item, var.type)

    def read_dataset_variable(self, item: RefExpr, var: Var) -> None:
        """A dataset in the task list: a dataset, or a task that reuses a dataset's name.

        ``@task def clean_users(...) -> clean_users`` after ``clean_users = Dataset(...)``
        leaves mypy with the dataset (mypy's ``no-redef``); the task is kept only as the
        module's unserialized ``clean_users-redefinition`` symbol. It is used only when
        the pipeline is in the module that defines both, whose tree mypy always has in
        memory; elsewhere (cached modules) the task is unknown and the pipeline is checked
        without it, so cold and warm runs agree.
        """
        module = self.current_module()
        defining_module = var.fullname.rpartition(".")[0]
        if module is not None and module.fullname == defining_module:
            redefinition = _task_redefinition(module, var.name)
            if redefinition is not None:
                self.add_task(redefinition.fullname, redefinition.name, redefinition.func.type)
                return
            dataset = self.plugin.dataset_of_variable(var.fullname)
            label = f"Dataset `{dataset.name}`" if dataset is not None else f"`{_ref_name(item)}`"
            self.not_a_task(item, label)
            return
        self.incomplete = True

    def read_typed(self, item: Expression, typ: Type | None) -> None:
        """An expression known only by its type: flag it only if it surely is no task."""
        if typ is None:
            self.incomplete = True
            return
        proper = get_proper_type(typ)
        if isinstance(proper, (AnyType, UnionType)) or _is_task_type(proper):
            self.incomplete = True
        elif isinstance(proper, Instance) and proper.type.fullname == "builtins.object":
            self.incomplete = True
        elif isinstance(
            proper, (Instance, CallableType, LiteralType, NoneType, TupleType, TypeType)
        ):
            label = f"`{_ref_name(item)}`" if isinstance(item, RefExpr) else "This element"
            self.not_a_task(item, label)
        else:
            self.incomplete = True

    # -- tasks ---------------------------------------------------------------------

    def add_task(self, task_id: str, name: str, signature: object) -> None:
        if task_id in self.names:
            return
        inputs: list[Input] = []
        output: str | None = None
        if isinstance(signature, CallableType):
            inputs = self.inputs_of(signature.arg_types, signature.arg_kinds, signature.arg_names)
            output = self.dataset_name(signature.ret_type)
        self.names[task_id] = name
        self.nodes.append(TaskNode(task_id, name, tuple(inputs), output))

    def add_task_from_type(self, task_id: str, name: str, typ: Instance) -> None:
        """A variable holding a task, e.g. ``t = task(f)``: read ``Task[P, R]``."""
        if task_id in self.names:
            return
        if len(typ.args) != 2:
            self.incomplete = True
            return
        params = get_proper_type(typ.args[0])
        if not isinstance(params, (Parameters, CallableType)):
            self.incomplete = True
            return
        inputs = self.inputs_of(params.arg_types, params.arg_kinds, params.arg_names)
        self.names[task_id] = name
        self.nodes.append(TaskNode(task_id, name, tuple(inputs), self.dataset_name(typ.args[1])))

    def inputs_of(
        self, types: Sequence[Type], kinds: Sequence[Any], names: Sequence[str | None]
    ) -> list[Input]:
        inputs: list[Input] = []
        for position, (typ, kind, name) in enumerate(zip(types, kinds, names, strict=False)):
            if kind not in (ARG_POS, ARG_OPT, ARG_NAMED, ARG_NAMED_OPT):
                continue
            dataset = self.dataset_name(typ)
            if dataset is not None:
                inputs.append(Input(name or f"arg{position}", dataset))
        return inputs

    def dataset_name(self, typ: Type) -> str | None:
        """The dataset an annotation names (its hidden alias), by the dataset's name."""
        if not isinstance(typ, TypeAliasType) or typ.alias is None:
            return None
        fullname = typ.alias.fullname
        if not fullname.endswith(ALIAS_SUFFIX):
            return None
        if fullname in self.by_alias:
            known = self.by_alias[fullname]
            return known.name if known is not None else None
        dataset = self.plugin.dataset_of_variable(fullname[: -len(ALIAS_SUFFIX)])
        self.by_alias[fullname] = dataset
        if dataset is None:
            return None
        self.datasets.setdefault(dataset.name, dataset)
        return dataset.name

    # -- reporting -----------------------------------------------------------------

    def not_a_task(self, item: Context, element: str) -> None:
        self.ctx.api.fail(
            NOT_A_TASK.format(element=element), item, code=ERROR_CODES[NOT_A_TASK.name]
        )

    def current_module(self) -> MypyFile | None:
        tree = getattr(self.ctx.api, "tree", None)
        return tree if isinstance(tree, MypyFile) else None

    def label(self, name: str | None) -> str:
        """How messages name the pipeline: its name, else its variable (as the CLI does)."""
        if name:
            return f"`{name}`"
        module = self.current_module()
        variable = _assigned_name(module.defs, self.ctx.context) if module is not None else None
        return f"`{variable or 'pipeline'}`"

    def report(self, name: str | None) -> None:
        external = {d.name for d in self.datasets.values() if d.storage}
        graph = build_pipeline_graph(self.nodes, external)
        label = self.label(name)
        for problem in graph.problems:
            if isinstance(problem, MissingProducer) and self.incomplete:
                continue
            self.ctx.api.fail(
                problem.message(label, self.names.__getitem__),
                self.ctx.context,
                code=ERROR_CODES[problem.rule.name],
            )
        # By folder, then name: deterministic whatever order the tasks are listed in.
        located = sorted((d.uri, d.name) for d in self.datasets.values() if d.uri is not None)
        for overlap in find_overlaps((name, uri) for uri, name in located):
            self.ctx.api.fail(
                overlap.message(label),
                self.ctx.context,
                code=ERROR_CODES[OVERLAPPING_STORAGE.name],
            )


def _ref_name(item: RefExpr) -> str:
    if isinstance(item, (NameExpr, MemberExpr)):
        return item.name
    return item.fullname.rpartition(".")[2] or "element"


def _assigned_name(statements: Sequence[Statement], value: Context) -> str | None:
    """The variable that ``value`` is assigned to, searching nested blocks (statements only)."""
    for statement in statements:
        if isinstance(statement, AssignmentStmt):
            if statement.rvalue is value:
                for lvalue in statement.lvalues:
                    if isinstance(lvalue, (NameExpr, MemberExpr)):
                        return lvalue.name
            continue
        blocks: list[Block] = []
        if isinstance(statement, ClassDef):
            blocks.append(statement.defs)
        elif isinstance(statement, FuncDef):
            blocks.append(statement.body)
        elif isinstance(statement, Decorator):
            blocks.append(statement.func.body)
        elif isinstance(statement, (IfStmt, WhileStmt, ForStmt, WithStmt, TryStmt)):
            blocks.extend(block for block in _nested_blocks(statement) if isinstance(block, Block))
        for block in blocks:
            found = _assigned_name(block.body, value)
            if found is not None:
                return found
    return None


def _nested_blocks(statement: Statement) -> list[object]:
    """The nested blocks of a compound statement."""
    if isinstance(statement, IfStmt):
        return [*statement.body, statement.else_body]
    if isinstance(statement, (WhileStmt, ForStmt)):
        return [statement.body, statement.else_body]
    if isinstance(statement, WithStmt):
        return [statement.body]
    if isinstance(statement, TryStmt):
        return [statement.body, *statement.handlers, statement.else_body, statement.finally_body]
    return []


def _is_task_type(typ: ProperType) -> bool:
    return isinstance(typ, Instance) and typ.type.has_base(TASK)


def _task_redefinition(module: MypyFile, name: str) -> Decorator | None:
    """The last task that rebinds ``name`` in ``module`` (mypy keeps it unserialized)."""
    found: Decorator | None = None
    suffix = 1
    while True:
        key = f"{name}-redefinition" + (str(suffix) if suffix > 1 else "")
        symbol = module.names.get(key)
        if symbol is None:
            return found
        node = symbol.node
        if isinstance(node, Decorator) and (
            node.var.type is not None and _is_task_type(get_proper_type(node.var.type))
        ):
            found = node
        suffix += 1


def _check_pipeline(plugin: GlacierPlugin) -> Callable[[FunctionContext], Type]:
    def check(ctx: FunctionContext) -> Type:
        if not ctx.args or len(ctx.args[0]) != 1 or ctx.arg_kinds[0][0] not in (ARG_POS, ARG_NAMED):
            return ctx.default_return_type
        tasks = ctx.args[0][0]
        if not isinstance(tasks, (ListExpr, TupleExpr)):
            return ctx.default_return_type  # built elsewhere: not statically known
        name: str | None = None
        if len(ctx.args) > 1 and len(ctx.args[1]) == 1 and isinstance(ctx.args[1][0], StrExpr):
            name = ctx.args[1][0].value
        reader = _PipelineReader(plugin, ctx)
        reader.read(tasks.items)
        reader.report(name)
        return ctx.default_return_type

    return check


def _default_return(ctx: FunctionContext) -> Type:
    return ctx.default_return_type


def _default_method_return(ctx: MethodContext) -> Type:
    return ctx.default_return_type


def _no_op(ctx: DynamicClassDefContext) -> None:
    return None


# -- the plugin -----------------------------------------------------------------------------

#: What most names in annotations are (``int``, ``T``, ``Optional``): never a dataset or task.
_NEVER_DATASETS = (TypeInfo, TypeVarLikeExpr, TypeAlias)


class GlacierPlugin(Plugin):
    """Hooks for `Dataset` declarations, dataset annotations and `Pipeline` calls."""

    def get_dynamic_class_hook(
        self, fullname: str
    ) -> Callable[[DynamicClassDefContext], None] | None:
        if fullname == DATASET:
            return _guarded(_declare_dataset, _no_op)
        return None

    def get_type_analyze_hook(self, fullname: str) -> Callable[[AnalyzeTypeContext], Type] | None:
        # Asked for every name in every annotation (typeshed included), so the common
        # case (a class, type variable or alias) is two dict look-ups and an isinstance.
        try:
            modules = self._modules
            if modules is None:
                return None
            module, _, name = fullname.rpartition(".")
            tree = modules.get(module)
            if tree is None:
                if not module or self.lookup_alias(fullname) is None:  # a class attribute?
                    return None
                return _guarded(_dataset_annotation(self, fullname), _any_type)
            names = tree.names
            symbol = names.get(name)
            node = symbol.node if symbol is not None else None
            if isinstance(node, _NEVER_DATASETS):
                return None
            hidden = names.get(name + ALIAS_SUFFIX)
            if hidden is not None and isinstance(hidden.node, TypeAlias):
                return _guarded(_dataset_annotation(self, fullname), _any_type)
            if isinstance(node, Decorator) and _task_output(node) is not None:
                # A task stands for the dataset it produces.
                return _guarded(_task_annotation(self, fullname), _any_type)
        except Exception:
            if os.environ.get(STRICT_ENV) == "1":
                raise
        return None

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        if fullname == PIPELINE:
            return _guarded(_check_pipeline(self), _default_return)
        if fullname == TASK_DECORATOR:
            return _guarded(_check_task_definition, _default_return)
        kind = COMPUTE_FUNCTIONS.get(fullname)
        if kind is not None:
            return _guarded(functools.partial(_check_target_limits, kind), _default_return)
        return None

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        if fullname == TASK_DECORATOR_CALL:
            return _guarded(_check_task_definition, _default_method_return)
        return None

    def report_config_data(self, ctx: ReportConfigContext) -> Any:
        return {"glacier_mypy": __version__}

    # -- lookups (stateless: always through mypy's symbol tables) -------------------

    def lookup_hidden(self, variable: str, suffix: str) -> TypeAlias | None:
        """The hidden alias ``<variable><suffix>`` next to the variable ``variable``."""
        modules = self._modules
        if modules is None:
            return None
        module, _, name = variable.rpartition(".")
        tree = modules.get(module)
        if tree is not None:
            # The common case, a module-level variable: two dict look-ups (this runs for
            # every name in every annotation, typeshed included).
            symbol = tree.names.get(name + suffix)
        elif module:
            symbol = self.lookup_fully_qualified(variable + suffix)  # a class attribute
        else:
            return None
        if symbol is not None and isinstance(symbol.node, TypeAlias):
            return symbol.node
        return None

    def lookup_node(self, fullname: str) -> object:
        """The node of a module-level name (cheap: used for every annotation name)."""
        modules = self._modules
        if modules is None:
            return None
        module, _, name = fullname.rpartition(".")
        tree = modules.get(module)
        symbol = tree.names.get(name) if tree is not None else None
        return symbol.node if symbol is not None else None

    def lookup_alias(self, variable: str) -> TypeAlias | None:
        """The hidden alias of the dataset variable ``variable`` (a fullname), if any."""
        return self.lookup_hidden(variable, ALIAS_SUFFIX)

    def dataset_of_variable(self, variable: str) -> _Dataset | None:
        """The name string and storage presence of the dataset variable ``variable``."""
        alias = self.lookup_hidden(variable, META_SUFFIX)
        if alias is None:
            return None
        target = get_proper_type(alias.target)
        if not isinstance(target, LiteralType) or not isinstance(target.value, str):
            return None
        name, storage, uri = _parse_meta(target.value)
        # A name that is not a string literal is unknown: the variable stands for it.
        return _Dataset(name or f"<{variable}>", storage, uri)


@functools.lru_cache(maxsize=4096)
def _parse_meta(text: str) -> tuple[str | None, bool, str | None]:
    """(name string, has storage, storage folder) from a dataset's recorded metadata (a
    pure function)."""
    meta = json.loads(text)
    name = meta.get("name")
    uri = meta.get("uri")
    return (
        (str(name) if name is not None else None),
        bool(meta.get("storage")),
        (str(uri) if isinstance(uri, str) else None),
    )


@functools.lru_cache(maxsize=256)
def _target_of(directory: str) -> str | None:
    """The ``[tool.glacier] target`` of the project that holds ``directory``."""
    from pathlib import Path

    from glacier.config import ConfigError, load_settings

    try:
        return load_settings(Path(directory)).target
    except (ConfigError, OSError):
        return None


def _literal(expression: Expression) -> object:
    """The value of an int, float or str literal; `_NOT_LITERAL` otherwise."""
    if isinstance(expression, (IntExpr, FloatExpr, StrExpr)):
        return expression.value
    if isinstance(expression, NameExpr) and expression.fullname == "builtins.None":
        return None
    return _NOT_LITERAL


_NOT_LITERAL = object()


def _check_target_limits(kind: str, ctx: FunctionContext) -> Type:
    """GLC015 at a ``compute.<kind>(...)`` call whose literal arguments the target refuses."""
    from glacier.checks.target_limit import compute_problems
    from glacier.compute import normalize_compute, validate_compute

    path = ctx.api.path
    target = _target_of(os.path.dirname(os.path.abspath(path))) if path else None
    if target is None:
        return ctx.default_return_type
    arguments: dict[str, object] = {}
    for formal, actuals in zip(ctx.callee_arg_names, ctx.args, strict=False):
        if not actuals:
            continue
        value = _literal(actuals[0])
        if value is _NOT_LITERAL or formal is None:
            return ctx.default_return_type  # not known statically: no opinion
        arguments[formal] = value
    if validate_compute(kind, arguments):
        return ctx.default_return_type  # an invalid call is another rule's business
    label = {"aws": "AWS", "kubernetes": "Kubernetes"}.get(target, target)
    for detail in compute_problems(target, normalize_compute(kind, arguments)):
        message = TARGET_LIMIT.format(target=label, subject="this task", detail=detail)
        ctx.api.fail(message, ctx.context, code=ERROR_CODES[TARGET_LIMIT.name])
    return ctx.default_return_type


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point."""
    return GlacierPlugin
