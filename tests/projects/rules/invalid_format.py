from glacier import Dataset, Pipeline, task

a = Dataset("a", format="parquett")  # error: GLC014
b = Dataset("b", format=3)  # error: GLC014
c = Dataset("c", format="json")
d = Dataset("d", format=None)
e = Dataset("e", format="custom")  # glacier: ignore[GLC014]


@task
def one() -> a: ...


@task
def two(x: a) -> b: ...


@task
def three(x: b) -> c: ...


@task
def four(x: c) -> d: ...


@task
def five(x: d) -> e: ...


p = Pipeline([one, two, three, four, five])
