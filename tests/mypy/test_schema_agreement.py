"""Run-time validation and the mypy plugin accept and reject the same values.

One rule for both: ``schema=`` is the type of the whole value a task returns. Hypothesis
generates schemas (scalars, a dataclass, a ``TypedDict``, ``list``/``dict``/optional
nestings) and return values written as Python literals, some made for the dataset's
schema and some for another one; a generated module gets one producer per case. A case
mypy rejects (an error on its ``return`` line) must be exactly a case
`glacier.schemas.check_value` rejects.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from glacier.schemas import SchemaMismatch, check_value

REPO = Path(__file__).resolve().parents[2]
ERROR_LINE = re.compile(r"^cases\.py:(?P<line>\d+): error: ")

HEADER = """\
from dataclasses import dataclass
from typing import Optional, TypedDict

from glacier import Dataset, task


@dataclass
class Point:
    x: int
    y: float


class Tag(TypedDict):
    name: str
    weight: int
"""

Schema = tuple[str, ...]  # ("int",), ("list", inner...), ("Point",) ...

scalars = st.sampled_from([("int",), ("float",), ("str",), ("bool",), ("Point",), ("Tag",)])
schemas: st.SearchStrategy[Schema] = st.recursive(
    scalars,
    lambda inner: st.one_of(
        inner.map(lambda s: ("list", *s)),
        inner.map(lambda s: ("dict", *s)),
        inner.map(lambda s: ("optional", *s)),
    ),
    max_leaves=3,
)


def schema_text(schema: Schema) -> str:
    head, rest = schema[0], schema[1:]
    if head == "list":
        return f"list[{schema_text(rest)}]"
    if head == "dict":
        return f"dict[str, {schema_text(rest)}]"
    if head == "optional":
        return f"Optional[{schema_text(rest)}]"
    return head


@st.composite
def value_text(draw: st.DrawFn, schema: Schema) -> str:
    """A Python expression for a value of ``schema`` (valid, unless a part is drawn for
    another schema)."""
    if draw(st.integers(0, 9)) == 0:
        schema = draw(schemas)  # a part of the wrong shape, deep inside
    head, rest = schema[0], schema[1:]
    if head == "int":
        return str(draw(st.integers(-5, 5)))
    if head == "float":
        return repr(draw(st.sampled_from([0.5, -2.0, 3.25])))
    if head == "str":
        return repr(draw(st.sampled_from(["", "a", "7"])))
    if head == "bool":
        return repr(draw(st.booleans()))
    if head == "Point":
        return f"Point({draw(value_text(('int',)))}, {draw(value_text(('float',)))})"
    if head == "Tag":
        name, weight = draw(value_text(("str",))), draw(value_text(("int",)))
        return f'{{"name": {name}, "weight": {weight}}}'
    if head == "optional":
        return "None" if draw(st.booleans()) else draw(value_text(rest))
    items = draw(st.lists(value_text(rest), max_size=2))
    if head == "list":
        return "[" + ", ".join(items) + "]"
    return "{" + ", ".join(f'"k{i}": {item}' for i, item in enumerate(items)) + "}"


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, str]:
    # `schema=` is typed `type[T]`: mypy refuses a bare Optional there (docs/mypy.md).
    schema = draw(schemas.filter(lambda s: s[0] != "optional"))
    made_for = schema if draw(st.booleans()) else draw(schemas)
    return schema_text(schema), draw(value_text(made_for))


def _module(batch: list[tuple[str, str]]) -> tuple[str, dict[int, int]]:
    """The module's text, and the line of each case's ``return``."""
    lines = HEADER.splitlines()
    returns: dict[int, int] = {}
    for index, (schema, value) in enumerate(batch):
        lines += [
            "",
            f'd{index} = Dataset("d{index}", schema={schema})',
            "",
            "@task",
            f"def make{index}() -> d{index}:",
            f"    return {value}",
        ]
        returns[len(lines)] = index
    return "\n".join(lines) + "\n", returns


def _mypy_rejects(folder: Path, returns: dict[int, int]) -> set[int]:
    config = folder / "mypy.ini"
    config.write_text("[mypy]\nplugins = glacier_mypy\n")
    completed = subprocess.run(
        [
            sys.executable, "-m", "mypy", "--config-file", str(config),
            "--cache-dir", str(folder.parent / ".mypy_cache"), "--no-error-summary",
            "--show-traceback", "cases.py",
        ],
        cwd=folder, env={**os.environ, "GLACIER_STRICT": "1", "MYPYPATH": str(REPO)},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    output = completed.stdout + completed.stderr
    assert completed.returncode in (0, 1) and "INTERNAL ERROR" not in output, output
    found = {int(m["line"]) for m in map(ERROR_LINE.match, completed.stdout.splitlines()) if m}
    assert found <= set(returns), output  # errors only where a value is returned
    return {returns[line] for line in found}


def _runtime_rejects(path: Path, batch: list[tuple[str, str]]) -> set[int]:
    spec = importlib.util.spec_from_file_location("glacier_schema_cases", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    namespace: dict[str, Any] = vars(module)
    rejected = set()
    for index, (schema, value) in enumerate(batch):
        try:
            check_value(eval(value, namespace), eval(schema, namespace), dataset=f"d{index}")
        except SchemaMismatch:
            rejected.add(index)
    return rejected


@settings(
    max_examples=3,
    deadline=None,
    # One mypy run per example: shrinking would cost minutes; the assertion prints the
    # disagreeing cases themselves.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(cases(), min_size=30, max_size=30, unique=True))
def test_mypy_and_the_run_agree_on_generated_schemas(tmp_path: Path, batch: list[Any]) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    text, returns = _module(batch)
    (folder / "cases.py").write_text(text)
    mypy = _mypy_rejects(folder, returns)
    runtime = _runtime_rejects(folder / "cases.py", batch)
    disagreements = [
        (batch[i], "mypy rejects" if i in mypy else "the run rejects")
        for i in sorted(mypy ^ runtime)
    ]
    assert not disagreements, disagreements


def test_the_hand_picked_edges_agree(tmp_path: Path) -> None:
    batch = [
        ("Point", "[Point(1, 2.0)]"),  # rows where one record is declared
        ("list[Point]", "Point(1, 2.0)"),
        ("list[Point]", '[{"x": 1, "y": 2.0}]'),  # a dict is not a dataclass
        ("Point", 'Point("1", 2.0)'),  # no conversion of "1"
        ("Tag", '{"name": "a", "weight": 1, "extra": 0}'),  # no unknown keys
        ("Tag", '{"name": "a"}'),  # a missing key
        ("float", "1"),  # an int is a float
        ("list[int]", "[True, 2]"),  # a bool is an int
        ("dict[str, float]", '{"a": 1, "b": False}'),
        ("list[Optional[Point]]", "[None, Point(1, 2.0)]"),
        ("list[str]", "[]"),
        ("int", "1.0"),
    ]
    folder = tmp_path / "edges"
    folder.mkdir()
    text, returns = _module(batch)
    (folder / "cases.py").write_text(text)
    mypy = _mypy_rejects(folder, returns)
    assert mypy == {0, 1, 2, 3, 4, 5, 11}  # both outcomes: the comparison is not vacuous
    assert _runtime_rejects(folder / "cases.py", batch) == mypy
