"""`@task(retries=, cache=, cache_version=, secrets=)`: runtime, analyzer and model agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from glacier import Dataset, Pipeline, task
from glacier.task_options import TaskOptionError
from tests.analysis.helpers import analyze

SOURCE = """\
from glacier import Dataset, Pipeline, compute, task

raw = Dataset("raw")
clean = Dataset("clean")
VERSION = "v2"


@task(retries=3, cache=False, secrets=["db-password", "arn:aws:secretsmanager:x"])
def extract() -> raw: ...


@task(compute=compute.local(), cache_version=VERSION)
def transform(data: raw) -> clean: ...


@task
def report(data: clean) -> None: ...


pipeline = Pipeline([extract, transform, report])
"""


def test_defaults() -> None:
    out = Dataset("out")

    @task
    def make() -> out: ...

    assert (make.retries, make.cache, make.cache_version, make.secrets) == (0, True, None, ())


def test_options_are_kept() -> None:
    out = Dataset("out")

    @task(retries=2, cache=False, cache_version=7, secrets=("token",))
    def make() -> out: ...

    assert (make.retries, make.cache, make.cache_version, make.secrets) == (2, False, 7, ("token",))
    info = Pipeline([make]).to_project().tasks[0]
    assert (info.retries, info.cache, info.cache_version, info.secrets) == (2, False, 7, ("token",))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"retries": -1}, "`retries` of `@task()` must be a whole number of retries, 0 or more"),
        ({"retries": True}, "`retries` of `@task()` must be a whole number"),
        ({"cache": "yes"}, "`cache` of `@task()` must be True or False, got 'yes'"),
        ({"cache_version": 1.5}, "`cache_version` of `@task()` must be a str or an int"),
        ({"secrets": "db"}, "`secrets` of `@task()` must be a list of secret names or ARNs"),
        ({"secrets": ["db", ""]}, "`secrets` of `@task()` must hold non-empty strings, got ''"),
    ],
)
def test_bad_values_raise(options: dict[str, object], message: str) -> None:
    with pytest.raises(TaskOptionError, match=None) as caught:
        task(**options)  # type: ignore[call-overload]
    assert message in str(caught.value)


def test_static_and_runtime_models_agree(tmp_path: Path) -> None:
    (tmp_path / "flow.py").write_text(SOURCE, encoding="utf-8")
    result = analyze(tmp_path)
    assert [d.code for d in result.diagnostics] == []
    static = {t.name: t for t in result.project.tasks}
    namespace: dict[str, object] = {"__name__": "flow"}
    exec(compile(SOURCE, str(tmp_path / "flow.py"), "exec"), namespace)
    pipeline = namespace["pipeline"]
    assert isinstance(pipeline, Pipeline)
    for info in pipeline.to_project().tasks:
        twin = static[info.name]
        assert (twin.retries, twin.cache, twin.cache_version, twin.secrets) == (
            info.retries,
            info.cache,
            info.cache_version,
            info.secrets,
        )
    extract = result.project.to_dict()["tasks"][0]
    assert extract["name"] == "extract"
    assert (extract["retries"], extract["cache"], extract["cache_version"], extract["secrets"]) == (
        3,
        False,
        None,
        ["db-password", "arn:aws:secretsmanager:x"],
    )


def test_dynamic_option_is_reported_not_guessed(tmp_path: Path) -> None:
    source = SOURCE.replace("cache_version=VERSION", "cache_version=compute_version()")
    source = "def compute_version() -> str: ...\n" + source
    (tmp_path / "flow.py").write_text(source, encoding="utf-8")
    result = analyze(tmp_path)
    assert [(d.code, "cache_version" in d.message) for d in result.diagnostics] == [
        ("GLC011", True)
    ]
