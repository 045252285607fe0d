"""A small Glacier pipeline with one mistake: no task produces `merged`."""
from glacier import Dataset, Pipeline, compute, task

raw = Dataset("raw")
cleaned = Dataset("cleaned")
merged = Dataset("merged")
report = Dataset("report")


@task(compute=compute.local())
def extract() -> raw:
    return [{"id": 1, "amount": 10}, {"id": 2, "amount": -3}]


@task
def clean(data: raw) -> cleaned:
    return [row for row in data if row["amount"] > 0]


@task
def summarize(rows: cleaned, extra: merged) -> report:
    return {"total": sum(row["amount"] for row in rows), "extra": len(extra)}


pipeline = Pipeline([extract, clean, summarize], name="demo")
