"""Diamond: two branches from one source meet again (design document, "Diamond Pattern")."""

from glacier import Dataset, Pipeline, task

a = Dataset("a")
b = Dataset("b")
c = Dataset("c")
d = Dataset("d")

data = [1, 2, 3]


def process_left(values: list[int]) -> list[int]:
    return [v * 2 for v in values]


def process_right(values: list[int]) -> list[int]:
    return [v + 1 for v in values]


def combine(left_values: list[int], right_values: list[int]) -> list[int]:
    return left_values + right_values


@task
def source() -> a:
    return data


@task
def left(data: a) -> b:
    return process_left(data)


@task
def right(data: a) -> c:
    return process_right(data)


@task
def merge(l: b, r: c) -> d:  # noqa: E741 - the design document's own parameter name
    return combine(l, r)


pipeline = Pipeline([source, left, right, merge])
