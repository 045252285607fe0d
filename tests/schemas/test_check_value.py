"""`check_value`: each schema kind, with the dataset, schema, first field and row, and counts."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from typing import TypedDict

import pandas as pd
import pandera.pandas as pa
import pandera.polars as pap
import polars as pl
import pyarrow
import pydantic
import pytest

from glacier.schemas import SchemaMismatch, UncheckableSchema, check_value, schema_kind


@dataclasses.dataclass
class User:
    name: str
    age: int


class UserDict(TypedDict):
    name: str
    age: int


class UserModel(pydantic.BaseModel):
    name: str
    age: int


def test_dataclass_records_name_the_first_row_and_field_and_count_the_rows() -> None:
    rows = [User("a", 1), User("b", "x"), User("c", 3), User("d", "y")]  # type: ignore[arg-type]
    with pytest.raises(SchemaMismatch) as caught:
        check_value(rows, list[User], dataset="users")
    error = caught.value
    assert (error.dataset, error.schema, error.row, error.field) == (
        "users",
        "list[User]",
        1,
        "age",
    )
    assert (error.failed_rows, error.total_rows) == (2, 4)
    assert str(error).startswith(
        "dataset `users` does not match its schema list[User]: row 1, field `age`:"
    )
    assert "(got 'x')" in str(error) and "(2 of 4 rows failed)" in str(error)


def test_matching_records_pass() -> None:
    check_value([User("a", 1)], list[User], dataset="users")
    check_value(User("a", 1), User, dataset="users")
    check_value([{"name": "a", "age": 1}], list[UserDict], dataset="users")
    check_value({"name": "a", "age": 1}, UserDict, dataset="users")
    check_value([UserModel(name="a", age=1)], list[UserModel], dataset="users")
    check_value({"a": {"name": "a", "age": 1}}, dict[str, UserDict], dataset="users")


def test_the_schema_is_the_type_of_the_whole_value() -> None:
    # The mypy plugin types a `schema=User` dataset as one User: so does the run.
    with pytest.raises(SchemaMismatch) as caught:
        check_value([User("a", 1), User("b", 2)], User, dataset="users")
    assert str(caught.value) == (
        "dataset `users` does not match its schema User: the schema is the type of the "
        "whole value, one User, got a list of 2 (declare schema=list[User] for a list of rows)"
    )
    with pytest.raises(SchemaMismatch, match=r"got a pandas DataFrame .*pandera or Arrow"):
        check_value(pd.DataFrame({"name": ["a"], "age": [1]}), User, dataset="users")
    with pytest.raises(SchemaMismatch, match=r"expected int, got list \(.*schema=list\[int\]"):
        check_value([1, 2], int, dataset="n")
    with pytest.raises(
        SchemaMismatch, match=r"list\[User\]: Input should be a valid list \(got User\("
    ):
        check_value(User("a", 1), list[User], dataset="users")


def test_values_from_code_are_checked_as_mypy_types_them() -> None:
    # A task's output: no conversions ("1" is not an int), no unknown TypedDict keys,
    # no dict for a dataclass; an int is a float, as for mypy.
    with pytest.raises(SchemaMismatch, match="field `age`: Input should be a valid integer"):
        check_value(User("a", "1"), User, dataset="u")  # type: ignore[arg-type]
    with pytest.raises(SchemaMismatch, match="field `extra`: Extra inputs are not permitted"):
        check_value({"name": "a", "age": 1, "extra": 0}, UserDict, dataset="u")
    with pytest.raises(SchemaMismatch, match="row 0: Input should be an instance of User"):
        check_value([{"name": "a", "age": 1}], list[User], dataset="u")
    check_value(1, float, dataset="f")
    check_value([1, 2.5], list[float], dataset="f")


def test_values_read_from_files_may_be_converted() -> None:
    check_value(User("a", "1"), User, dataset="u", strict=False)  # type: ignore[arg-type]
    check_value([{"name": "a", "age": "1"}], list[User], dataset="u", strict=False)


def test_typing_extensions_typeddict() -> None:
    import typing_extensions

    class Row(typing_extensions.TypedDict):
        age: int

    check_value([{"age": 1}], list[Row], dataset="rows")
    with pytest.raises(SchemaMismatch, match="row 0, field `age`"):
        check_value([{"age": "x"}], list[Row], dataset="rows")


def test_typeddict_records_missing_field() -> None:
    with pytest.raises(SchemaMismatch) as caught:
        check_value([{"name": "a", "age": 1}, {"name": "b"}], list[UserDict], dataset="people")
    assert (caught.value.row, caught.value.field, caught.value.failed_rows) == (1, "age", 1)
    assert "Field required" in str(caught.value)


def test_pydantic_model_from_dicts_and_dict_of_records() -> None:
    with pytest.raises(SchemaMismatch) as caught:
        check_value({"x": {"name": "a", "age": "old"}}, dict[str, UserModel], dataset="d")
    assert (caught.value.row, caught.value.field, caught.value.failed_rows) == ("x", "age", 1)
    assert caught.value.schema == "dict[str, UserModel]"


def test_pandera_pandas_schema() -> None:
    schema = pa.DataFrameSchema({"age": pa.Column(int, pa.Check.ge(0))}, name="Ages")
    check_value(pd.DataFrame({"age": [1, 2]}), schema, dataset="ages")
    with pytest.raises(SchemaMismatch) as caught:
        check_value(pd.DataFrame({"age": [1, -2, -3]}), schema, dataset="ages")
    error = caught.value
    assert (error.field, error.row, error.failed_rows, error.total_rows) == ("age", 1, 2, 3)
    assert "greater_than_or_equal_to(0)" in str(error) and "'Ages'" in str(error)


def test_pandera_model_and_missing_column() -> None:
    class Ages(pa.DataFrameModel):
        age: int = pa.Field(ge=0)

    with pytest.raises(SchemaMismatch) as caught:
        check_value(pd.DataFrame({"years": [1]}), Ages, dataset="ages")
    assert caught.value.field == "age" or "age" in str(caught.value)
    assert caught.value.row is None


def test_pandera_polars_schema() -> None:
    schema = pap.DataFrameSchema({"age": pap.Column(pl.Int64, pap.Check.ge(0))})
    check_value(pl.DataFrame({"age": [1]}), schema, dataset="ages")
    with pytest.raises(SchemaMismatch) as caught:
        check_value(pl.DataFrame({"age": [5, -2, -3]}), schema, dataset="ages")
    assert (caught.value.field, caught.value.row, caught.value.failed_rows) == ("age", 1, 2)


def test_pandera_refuses_a_value_that_is_not_a_frame() -> None:
    schema = pa.DataFrameSchema({"age": pa.Column(int)})
    with pytest.raises(SchemaMismatch, match="checks pandas or polars DataFrames, got list"):
        check_value([1], schema, dataset="ages")


def test_arrow_schema_types_columns_and_nulls() -> None:
    schema = pyarrow.schema(
        [pyarrow.field("name", pyarrow.string()), pyarrow.field("age", pyarrow.int64(), False)]
    )
    good = pyarrow.table({"name": ["a"], "age": [1]})
    check_value(good, schema, dataset="t")
    check_value(pd.DataFrame({"name": ["a"], "age": [1]}), schema, dataset="t")
    check_value(pl.DataFrame({"name": ["a"], "age": [1]}), schema, dataset="t")
    with pytest.raises(SchemaMismatch, match="field `age`: missing column"):
        check_value(pyarrow.table({"name": ["a"]}), schema, dataset="t")
    with pytest.raises(SchemaMismatch, match="has type double, the schema wants int64"):
        check_value(pyarrow.table({"name": ["a"], "age": [1.5]}), schema, dataset="t")
    with pytest.raises(SchemaMismatch) as caught:
        check_value(
            pyarrow.table({"name": ["a", "b", "c"], "age": [1, None, None]}), schema, dataset="t"
        )
    assert (caught.value.row, caught.value.failed_rows, caught.value.total_rows) == (1, 2, 3)
    assert "pyarrow.Schema(name, age)" in str(caught.value)


def test_a_plain_class_is_an_isinstance_check() -> None:
    check_value(pd.DataFrame(), pd.DataFrame, dataset="f")
    check_value(2, int, dataset="n")
    with pytest.raises(SchemaMismatch, match="expected int, got str"):
        check_value("2", int, dataset="n")
    with pytest.raises(SchemaMismatch, match="expected DataFrame, got dict"):
        check_value({}, pd.DataFrame, dataset="f")


def test_kinds_and_an_uncheckable_schema() -> None:
    assert schema_kind(User) == "records" and schema_kind(list[int]) == "records"
    assert schema_kind(pd.DataFrame) == "class" and schema_kind(None) is None
    with pytest.raises(UncheckableSchema, match="dataset `d`: schema 'User' is not"):
        check_value([], "User", dataset="d")


def test_a_missing_extra_is_named(tmp_path: object) -> None:
    code = (
        "import sys; sys.modules['pydantic'] = None\n"
        "import dataclasses\n"
        "from glacier.schemas import check_value, SchemaExtraMissing\n"
        "@dataclasses.dataclass\n"
        "class R:\n    a: int\n"
        "try:\n    check_value(R(1), R, dataset='d')\n"
        "except SchemaExtraMissing as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'glacier-pipelines[pydantic]'" in out.stdout and "dataset `d`" in out.stdout


def test_importing_glacier_imports_neither_pydantic_nor_pandera() -> None:
    code = (
        "import sys, glacier, glacier.schemas, glacier.run.session\n"
        "print([m for m in ('pydantic', 'pandera') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
