# Checked with [tool.glacier] target = "aws" (tests/checks/test_fixtures.py sets it).
from glacier import Dataset, Pipeline, compute, task
from glacier.storage import GCS, S3

raw = Dataset("raw", storage=GCS(bucket="lake", prefix="raw/"))  # error: GLC015
kept = Dataset("kept", storage=S3(bucket="lake", prefix="kept/"))
a = Dataset("a")
b = Dataset("b")
c = Dataset("c")
d = Dataset("d")


@task(compute=compute.serverless(memory=99999, timeout=3600))
def too_big(x: raw) -> a: ...  # error: GLC015


@task(compute=compute.container(image="spark:latest", cpu=32))
def too_many_cpus(x: a) -> b: ...  # error: GLC015


@task(compute=compute.container(image="spark:latest", cpu=16, memory=122880))
def the_largest(x: b) -> c: ...


@task(compute=compute.serverless(memory=128, timeout=900))
def the_smallest(x: c, y: kept) -> d: ...


@task(compute=compute.local(workers=64))
def ignored() -> kept: ...  # glacier: ignore[GLC015]


p = Pipeline([too_big, too_many_cpus, the_largest, the_smallest])
q = Pipeline([ignored])
