from dataclasses import dataclass
from typing import TypedDict

from glacier import Dataset, task


@dataclass
class Order:
    id: int


class Row(TypedDict):
    id: int


one = Dataset("one", schema=Order)
rows = Dataset("rows", schema=list[Order])
typed = Dataset("typed", schema=Row)
counts = Dataset("counts", schema=dict[str, int])
total = Dataset("total", schema=float)
label = Dataset("label", schema=str)
loose = Dataset("loose")


@task
def one_as_rows() -> one:
    return [Order(1)]  # error: GLC017


@task
def rows_as_dict() -> rows:
    if rows:
        return {}  # error: GLC017
    return [Order(i) for i in range(3)]


@task
def typed_as_dict() -> typed:
    return {"id": 1}


@task
def counts_as_nothing() -> counts:
    return  # error: GLC017


@task
def total_as_int() -> total:
    return 3


@task
def total_as_text() -> total:
    return "3.0"  # error: GLC017


@task
def label_as_fstring(x: total) -> label:
    def inner() -> list[int]:
        return [1]

    return f"{x}"


@task
def label_as_none() -> label:
    return None  # glacier: ignore[GLC017]


@task
def anything() -> loose:
    return [1]


@task
def computed() -> one:
    value = Order(1)
    return value


def generator() -> one:
    yield 1
    return [2]
