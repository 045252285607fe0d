from dataclasses import dataclass

import pandera.pandas as pa

from glacier import Dataset, Pipeline, task


@dataclass
class User:
    name: str


raw = Dataset("raw")
a = Dataset("a", schema="User")  # error: GLC016
b = Dataset("b", schema=[User])  # error: GLC016
c = Dataset("c", schema=raw)  # error: GLC016
d = Dataset("d", schema=3)  # error: GLC016
e = Dataset("e", schema=User)
f = Dataset("f", schema=list[User])
g = Dataset("g", schema=pa.DataFrameSchema({}))
h = Dataset("h", schema=None)
i = Dataset("i", schema="Legacy")  # glacier: ignore[GLC016]


@task
def make() -> raw: ...


@task
def t1(x: raw) -> a: ...


@task
def t2(x: a) -> b: ...


@task
def t3(x: b) -> c: ...


@task
def t4(x: c) -> d: ...


@task
def t5(x: d) -> e: ...


@task
def t6(x: e) -> f: ...


@task
def t7(x: f) -> g: ...


@task
def t8(x: g) -> h: ...


@task
def t9(x: h) -> i: ...


p = Pipeline([make, t1, t2, t3, t4, t5, t6, t7, t8, t9])
