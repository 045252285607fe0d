"""`@task`: a plain function whose type hints name the datasets it reads and writes."""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, Protocol, TypeVar, overload

from glacier.compute import Compute
from glacier.graph import Input, TaskNode
from glacier.rules import NOT_A_DATASET, UNKNOWN_NAME
from glacier.runtime.dataset import Dataset
from glacier.runtime.errors import Problem, TaskDefinitionError
from glacier.runtime.identity import module_of
from glacier.task_options import TaskOptions, make_task_options

P = ParamSpec("P")
R = TypeVar("R")
_P2 = ParamSpec("_P2")
_R2 = TypeVar("_R2")

_RETURN = "return"


class _Unresolved:
    """An annotation whose name is not bound yet (a forward reference)."""

    def __init__(self, text: str) -> None:
        self.text = text


@dataclass(frozen=True, slots=True)
class Signature:
    """A task's resolved data dependencies."""

    inputs: dict[str, Dataset[Any]]
    output: Dataset[Any] | None
    problems: tuple[Problem, ...]
    #: The task as the graph core sees it, made once rather than for every pipeline.
    node: TaskNode


class Task(Generic[P, R]):
    """A pipeline step. Calling it calls the wrapped function, so it stays unit-testable.

    Attributes:
        name: the function's name.
        id: module-qualified name, unique in a project.
        fn: the wrapped function.
        compute: where it runs, or ``None``.
        options: retries, caching and secrets (``retries``, ``cache``, ``cache_version``
            and ``secrets`` read them too).
    """

    def __init__(
        self,
        fn: Callable[P, R],
        compute: Compute | None = None,
        namespace: Mapping[str, Any] | None = None,
        options: TaskOptions | None = None,
    ) -> None:
        if not callable(fn) or not hasattr(fn, "__code__"):
            raise TypeError(f"@task decorates a function, got {type(fn).__name__} {fn!r}")
        if compute is not None and not isinstance(compute, Compute):
            raise TypeError(
                f"compute of task `{fn.__name__}` must come from glacier.compute "
                f"(local, container, serverless), got {type(compute).__name__} {compute!r}"
            )
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.name: str = fn.__name__
        #: Module-qualified; under ``__main__``, the module name the analyzer gives the file.
        self.module: str = module_of(fn.__module__, fn.__code__.co_filename)
        self.id: str = f"{self.module}.{fn.__qualname__}"
        self.compute = compute
        self.options = options if options is not None else TaskOptions()
        self._annotations = _raw_annotations(fn)
        #: The defining scope's names, so string annotations can name local datasets.
        self._namespace = namespace
        self._signature: Signature | None = None
        # Python evaluates annotations where the function is defined, so resolve them now;
        # names not bound yet (forward references) are resolved when a pipeline is built.
        signature = self._resolve(final=False)
        if signature.problems:
            raise TaskDefinitionError(signature.problems)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Task {self.name}>"

    @property
    def retries(self) -> int:
        """Further attempts after a failure."""
        return self.options.retries

    @property
    def cache(self) -> bool:
        """Whether a run with the cache on may reuse an earlier result."""
        return self.options.cache

    @property
    def cache_version(self) -> str | int | None:
        """Part of the cache key, to invalidate earlier results by hand."""
        return self.options.cache_version

    @property
    def secrets(self) -> tuple[str, ...]:
        """Names or ARNs of the secrets the task needs."""
        return self.options.secrets

    @property
    def inputs(self) -> dict[str, Dataset[Any]]:
        """Parameter name -> the dataset it consumes."""
        return dict(self.signature.inputs)

    @property
    def output(self) -> Dataset[Any] | None:
        """The dataset the task produces, or ``None``."""
        return self.signature.output

    @property
    def signature(self) -> Signature:
        """The resolved inputs and output (forward references resolved now)."""
        return self._resolve(final=True)

    def _resolve(self, *, final: bool) -> Signature:
        if self._signature is not None:
            return self._signature
        inputs: dict[str, Dataset[Any]] = {}
        problems: list[Problem] = []
        deferred = False
        parameters = inspect.signature(self.fn, follow_wrapped=False).parameters
        for parameter in parameters.values():
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            has_default = parameter.default is not parameter.empty
            if parameter.name not in self._annotations:
                if not has_default:
                    problems.append(self._not_a_dataset(parameter.name, "not annotated"))
                continue
            value = self._evaluate(self._annotations[parameter.name])
            if isinstance(value, _Unresolved):
                if final:
                    problems.append(self._unknown(value.text))
                deferred = True
            elif (dataset := _as_dataset(value)) is not None:
                inputs[parameter.name] = dataset
            elif not has_default:
                problems.append(self._not_a_dataset(parameter.name, _describe(value)))
        output: Dataset[Any] | None = None
        if _RETURN in self._annotations:
            value = self._evaluate(self._annotations[_RETURN])
            if isinstance(value, _Unresolved):
                if final:
                    problems.append(self._unknown(value.text))
                deferred = True
            elif value is not None and value is not type(None):
                output = _as_dataset(value)
                if output is None:
                    problems.append(self._not_a_dataset(_RETURN, _describe(value)))
        node = TaskNode(
            self.id,
            self.name,
            tuple([Input(parameter, dataset.name) for parameter, dataset in inputs.items()]),
            output.name if output is not None else None,
        )
        signature = Signature(inputs, output, tuple(problems), node)
        if final or not deferred:
            self._signature = signature
        return signature

    def _evaluate(self, annotation: Any) -> Any:
        if not isinstance(annotation, str):
            return annotation
        try:
            # The user's own annotation, evaluated as Python would (typing.get_type_hints does too).
            value = eval(annotation, self.fn.__globals__, self._namespace)
            # Under `from __future__ import annotations`, `-> "raw"` arrives as "'raw'".
            if isinstance(value, str):
                value = eval(value, self.fn.__globals__, self._namespace)
        except NameError:
            return _Unresolved(annotation)
        return value

    def _not_a_dataset(self, parameter: str, what: str) -> Problem:
        subject = "The return annotation" if parameter == _RETURN else f"Parameter `{parameter}`"
        return Problem(
            NOT_A_DATASET, NOT_A_DATASET.format(subject=subject, task=self.name, annotation=what)
        )

    def _unknown(self, text: str) -> Problem:
        return Problem(
            UNKNOWN_NAME, UNKNOWN_NAME.format(name=text, suggestion=f" (in task `{self.name}`)")
        )


def _raw_annotations(fn: Callable[..., Any]) -> dict[str, Any]:
    """The function's annotations, keeping unresolvable ones as strings."""
    try:
        return dict(inspect.get_annotations(fn))
    except NameError:
        # Python 3.14+ evaluates annotations lazily; fetch the text of forward references.
        import annotationlib  # type: ignore[import-not-found, unused-ignore]

        forms = annotationlib.get_annotations(fn, format=annotationlib.Format.FORWARDREF)
        strings = annotationlib.get_annotations(fn, format=annotationlib.Format.STRING)
        return {
            name: strings[name] if isinstance(value, annotationlib.ForwardRef) else value
            for name, value in forms.items()
        }


def _as_dataset(value: Any) -> Dataset[Any] | None:
    """A dataset, or the dataset a task produces (a task stands for its output)."""
    if isinstance(value, Dataset):
        return value
    if isinstance(value, Task):
        return value.output
    return None


def _describe(value: Any) -> str:
    if isinstance(value, Task):
        return f"task `{value.name}`, which produces no dataset"
    name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
    return f"`{name}`" if isinstance(name, str) else f"`{value!r}`"


class TaskDecorator(Protocol):
    """What ``task(compute=...)`` returns: applied to a function, it makes a `Task`.

    (A protocol rather than a plain ``Callable`` so that mypy reports the application to
    the mypy plugin, which checks the task's signature like ``@task`` without arguments.)
    """

    def __call__(self, fn: Callable[P, R], /) -> Task[P, R]: ...


@overload
def task(fn: Callable[P, R], /) -> Task[P, R]: ...
@overload
def task(
    *,
    compute: Compute | None = None,
    retries: int = 0,
    cache: bool = True,
    cache_version: str | int | None = None,
    secrets: Sequence[str] = (),
) -> TaskDecorator: ...


def task(
    fn: Callable[P, R] | None = None,
    /,
    *,
    compute: Compute | None = None,
    retries: int = 0,
    cache: bool = True,
    cache_version: str | int | None = None,
    secrets: Sequence[str] = (),
) -> Task[P, R] | TaskDecorator:
    """Make a function a pipeline task: ``@task``, ``@task()`` or ``@task(compute=..., ...)``.

    Args:
        compute: where it runs (`glacier.compute`).
        retries: further attempts after a failure before the task counts as failed.
        cache: ``False`` never reuses an earlier result (sources that must fetch every time).
        cache_version: part of the cache key; change it to invalidate earlier results.
        secrets: names or ARNs of the secrets the task needs (compile targets pass them in).

    Raises:
        TaskDefinitionError: if a parameter without a default, or the return
            annotation, is not a dataset.
        TypeError: if ``compute`` is not a `glacier.compute` declaration.
        TaskOptionError: if another option has a bad value.
    """
    if compute is not None and not isinstance(compute, Compute):
        raise TypeError(
            "compute= must come from glacier.compute (local, container, serverless), "
            f"got {type(compute).__name__} {compute!r}"
        )
    name = getattr(fn, "__name__", None)
    options = make_task_options(
        name, retries=retries, cache=cache, cache_version=cache_version, secrets=secrets
    )
    if fn is not None:
        return Task(fn, compute, _caller_namespace(), options)

    def decorate(func: Callable[_P2, _R2]) -> Task[_P2, _R2]:
        return Task(func, compute, _caller_namespace(), options)

    return decorate


def _caller_namespace() -> Mapping[str, Any] | None:
    """The local names of the scope that applies the decorator (None at module level)."""
    frame = sys._getframe(2)
    return None if frame.f_locals is frame.f_globals else frame.f_locals
