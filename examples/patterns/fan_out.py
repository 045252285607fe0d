"""Fan-out: one output feeds two tasks (design document, "Complex DAG Support")."""

from glacier import Dataset, Pipeline, task

raw = Dataset("raw")
summary = Dataset("summary")
details = Dataset("details")


def fetch_data() -> list[int]:
    return [3, 1, 2]


def create_summary(data: list[int]) -> int:
    return sum(data)


def create_details(data: list[int]) -> list[int]:
    return sorted(data)


@task
def extract() -> raw:
    return fetch_data()


@task
def summarize(data: raw) -> summary:
    return create_summary(data)


@task
def detail_report(data: raw) -> details:
    return create_details(data)


pipeline = Pipeline([extract, summarize, detail_report])
