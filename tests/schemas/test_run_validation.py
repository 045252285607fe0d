"""Schemas checked during runs: outputs before they are committed or handed on, external
inputs when read, ``validate=`` per dataset and ``[tool.glacier] validate``."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa
import pytest

from glacier import Dataset, LocalExecutor, Pipeline, task
from glacier.run.runner import run_pipeline
from glacier.schemas import SchemaMismatch, SchemaWarning
from glacier.storage import LocalPath, read_dataset


@dataclasses.dataclass
class User:
    name: str
    age: int


raw_users = Dataset("raw_users", schema=list[User])
adults = Dataset("adults", schema=list[User])
count = Dataset("count")


@task
def load_users() -> raw_users:
    return [User("ada", 36), User("bob", "unknown"), User("eve", "n/a")]  # type: ignore[arg-type]


@task
def keep_adults(users: raw_users) -> adults:
    return [u for u in users if isinstance(u.age, int) and u.age >= 18]


@task
def count_adults(users: adults) -> count:
    return len(users)


PIPELINE = Pipeline([load_users, keep_adults, count_adults])


def _run(pipeline: Pipeline, project: Path, **options: Any) -> Any:
    return run_pipeline(
        pipeline,
        options.pop("executor", LocalExecutor(workers=2)),
        raise_on_error=False,
        progress=False,
        records=False,
        project_root=str(project),
        **options,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    return tmp_path


@pytest.mark.parametrize("processes", [False, True], ids=["threads", "processes"])
def test_a_mismatching_output_fails_its_task_and_skips_its_consumers(
    project: Path, processes: bool
) -> None:
    result = _run(PIPELINE, project, executor=LocalExecutor(workers=2, processes=processes))
    run = result.tasks["load_users"]
    assert run.status == "failed"
    assert isinstance(run.error, SchemaMismatch)
    assert str(run.error) == (
        "dataset `raw_users` does not match its schema list[User]: row 1, field `age`: "
        "Input should be a valid integer (got 'unknown') "
        "(2 of 3 rows failed)"
    )
    assert [result.tasks[n].status for n in ("keep_adults", "count_adults")] == ["skipped"] * 2


def test_a_failed_check_commits_nothing(project: Path) -> None:
    stored = Dataset("stored_users_a", storage=LocalPath(str(project / "lake")), schema=list[User])

    @task
    def make() -> stored:
        return [User("x", "y")]  # type: ignore[arg-type]

    result = _run(Pipeline([make]), project)
    assert result.tasks["make"].status == "failed"
    assert not (project / "lake").exists() or not any((project / "lake").rglob("_manifest*"))


def test_validate_warn_on_the_dataset_hands_the_value_on(project: Path) -> None:
    loose = Dataset("loose_users", schema=list[User], validate="warn")
    total = Dataset("loose_total")

    @task
    def make() -> loose:
        return [User("x", "y")]  # type: ignore[arg-type]

    @task
    def size(users: loose) -> total:
        return len(users)

    with pytest.warns(SchemaWarning, match="dataset `loose_users` does not match"):
        result = _run(Pipeline([make, size]), project)
    assert result.succeeded and result["loose_total"] == 1
    assert any("does not match its schema list[User]" in line for line in result.tasks["make"].log)


def test_validate_off_on_the_dataset_checks_nothing(project: Path) -> None:
    unchecked = Dataset("unchecked_users", schema=list[User], validate="off")

    @task
    def make() -> unchecked:
        return "not even a list"  # type: ignore[return-value]

    assert _run(Pipeline([make]), project).succeeded


@pytest.mark.parametrize("mode", ["warn", "off"])
def test_the_project_setting_applies_where_the_dataset_says_nothing(
    project: Path, mode: str
) -> None:
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\n[tool.glacier]\nvalidate = "{mode}"\n'
    )
    with pytest.warns(SchemaWarning) if mode == "warn" else _nothing():
        result = _run(PIPELINE, project)
    assert result.succeeded and result["count"] == 1


def test_the_dataset_setting_wins_over_the_project(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.glacier]\nvalidate = "off"\n')
    strict = Dataset("strict_users", schema=list[User], validate="error")

    @task
    def make() -> strict:
        return [User("x", "y")]  # type: ignore[arg-type]

    assert _run(Pipeline([make]), project).tasks["make"].status == "failed"


def test_a_bad_project_setting_stops_the_run(project: Path) -> None:
    from glacier import RunSetupError

    (project / "pyproject.toml").write_text('[tool.glacier]\nvalidate = "loud"\n')
    with pytest.raises(RunSetupError, match='validate must be "error", "warn" or "off"'):
        _run(PIPELINE, project)


def test_an_external_input_is_checked_when_read(project: Path) -> None:
    lake = project / "lake" / "people"
    lake.mkdir(parents=True)
    (lake / "part-0.csv").write_text("name,age\nada,36\nbob,x\n")
    people = Dataset("people", storage=LocalPath(str(lake)), schema=list[User])
    people_count = Dataset("people_count")

    @task
    def size(rows: people) -> people_count:
        return len(rows)

    result = _run(Pipeline([size]), project)
    error = result.tasks["size"].error
    assert result.tasks["size"].status == "failed" and isinstance(error, SchemaMismatch)
    assert "dataset `people` does not match its schema list[User]: row 1, field `age`" in str(error)


def test_a_pandera_schema_on_a_stored_frame(project: Path) -> None:
    schema = pa.DataFrameSchema({"amount": pa.Column(float, pa.Check.ge(0))}, name="Orders")
    orders = Dataset("orders_frame", storage=LocalPath(str(project / "orders")), schema=schema)

    @task
    def make() -> orders:
        return pd.DataFrame({"amount": [1.0, 2.5]})

    assert _run(Pipeline([make]), project).succeeded
    assert list(read_dataset(orders)["amount"]) == [1.0, 2.5]

    @task
    def make_bad() -> orders:
        return pd.DataFrame({"amount": [1.0, -2.5]})

    result = _run(Pipeline([make_bad]), project)
    assert "row 1, field `amount`: greater_than_or_equal_to(0) failed" in str(
        result.tasks["make_bad"].error
    )
    assert list(read_dataset(orders)["amount"]) == [1.0, 2.5]  # the bad frame was not committed


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


# -- values given with inputs= -------------------------------------------------------

given_users = Dataset("given_users", schema=list[User])
given_count = Dataset("given_count")


@task
def count_given(users: given_users) -> given_count:
    return len(users)


GIVEN = Pipeline([count_given])


def test_a_given_input_that_does_not_match_stops_the_run_before_any_task(project: Path) -> None:
    from glacier import RunSetupError

    with pytest.raises(RunSetupError) as caught:
        _run(GIVEN, project, inputs={given_users: [User("ada", 36), User("bob", "x")]})  # type: ignore[arg-type]
    assert (
        "inputs=: dataset `given_users` does not match its schema list[User]: row 1, "
        "field `age`: Input should be a valid integer (got 'x') (1 of 2 rows failed)"
    ) in str(caught.value)


def test_a_matching_given_input_runs(project: Path) -> None:
    result = _run(GIVEN, project, inputs={"given_users": [User("ada", 36)]})
    assert result.succeeded and result["given_count"] == 1


def test_a_given_input_follows_validate(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.glacier]\nvalidate = "warn"\n')
    with pytest.warns(SchemaWarning, match="dataset `given_users` does not match"):
        result = _run(GIVEN, project, inputs={given_users: "not rows"})
    assert result.succeeded and result["given_count"] == len("not rows")

    quiet = Dataset("quiet_users", schema=list[User], validate="off")
    quiet_count = Dataset("quiet_count")

    @task
    def count_quiet(users: quiet) -> quiet_count:
        return len(users)

    (project / "pyproject.toml").write_text('[tool.glacier]\nvalidate = "error"\n')
    assert _run(Pipeline([count_quiet]), project, inputs={quiet: [1, 2]}).succeeded


def test_a_given_input_replacing_a_producer_is_checked_too(project: Path) -> None:
    from glacier import RunSetupError

    with pytest.raises(RunSetupError, match="dataset `raw_users` does not match"):
        _run(PIPELINE, project, inputs={raw_users: [{"name": "ada", "age": 36}]})


def test_an_external_input_of_rows_against_a_one_record_schema(project: Path) -> None:
    lake = project / "lake" / "one_person"
    lake.mkdir(parents=True)
    (lake / "part-0.csv").write_text("name,age\nada,36\nbob,41\n")
    person = Dataset("one_person", storage=LocalPath(str(lake)), schema=User)
    person_name = Dataset("person_name")

    @task
    def name_of(p: person) -> person_name:
        return p.name

    result = _run(Pipeline([name_of]), project)
    assert "one User, got a list of 2 (declare schema=list[User]" in str(
        result.tasks["name_of"].error
    )
