"""Pipelines the Dask tests run; a module the workers import by name (the repository is on
their path).

Tasks that must leave traces on disk (attempt counts, the worker that ran them) take the folder as
a run parameter, so the same module serves every test.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from glacier import Dataset, Pipeline, compute, task

# --- a diamond with a fan-out and a fan-in ------------------------------------------------------

numbers = Dataset("numbers")
doubled = Dataset("doubled")
squared = Dataset("squared")
total = Dataset("total")
labels = Dataset("labels")


@task
def make_numbers(count: int = 5) -> numbers:
    return list(range(count))


@task
def double(values: numbers) -> doubled:
    return [value * 2 for value in values]


@task
def square(values: numbers) -> squared:
    return [value * value for value in values]


@task
def add_up(left: doubled, right: squared) -> total:
    return sum(left) + sum(right)


@task
def label(values: numbers) -> labels:
    return [f"n{value}" for value in values]


diamond = Pipeline([make_numbers, double, square, add_up, label], name="diamond")


# --- a failure in one branch --------------------------------------------------------------------

broken = Dataset("broken")
after_broken = Dataset("after_broken")
beside = Dataset("beside")


class CustomProblem(Exception):
    """An exception class of the user's own."""


@task
def fail(values: numbers) -> broken:
    raise CustomProblem(f"cannot handle {len(values)} numbers")


@task
def use_broken(values: broken) -> after_broken:
    return values


@task
def beside_the_failure(values: numbers) -> beside:
    return len(values)


failing = Pipeline([make_numbers, fail, use_broken, beside_the_failure], name="failing")


# --- retries ------------------------------------------------------------------------------------

flaky_out = Dataset("flaky_out")


def _attempt_number(folder: str, name: str) -> int:
    marker = Path(folder) / f"{name}.attempts"
    count = int(marker.read_text()) + 1 if marker.exists() else 1
    marker.write_text(str(count))
    return count


@task(retries=2)
def flaky(values: numbers, folder: str = "") -> flaky_out:
    if _attempt_number(folder, "flaky") < 3:
        raise ConnectionError("the service hiccuped")
    return sum(values)


retrying = Pipeline([make_numbers, flaky], name="retrying")


# --- resources ----------------------------------------------------------------------------------

heavy = Dataset("heavy")


@task(compute=compute.container(image="python:3.11", cpu=2, memory=1024))
def heavy_work(values: numbers) -> heavy:
    return os.getpid()


needs_resources = Pipeline([make_numbers, heavy_work], name="needs_resources")


# --- a slow chain, for killing a worker mid-run -------------------------------------------------

stage_1 = Dataset("stage_1")
stage_2 = Dataset("stage_2")
stage_3 = Dataset("stage_3")


def _mark(folder: str, name: str) -> None:
    """Leave a file naming the worker process that runs this task, then work a while."""
    (Path(folder) / f"{name}.{os.getpid()}.started").write_text("")


@task
def first_stage(folder: str = "") -> stage_1:
    _mark(folder, "first_stage")
    return list(range(10))


@task
def slow_stage(values: stage_1, folder: str = "") -> stage_2:
    _mark(folder, "slow_stage")
    time.sleep(3)
    return [value + 1 for value in values]


@task
def last_stage(values: stage_2, folder: str = "") -> stage_3:
    _mark(folder, "last_stage")
    return sum(values)


slow_chain = Pipeline([first_stage, slow_stage, last_stage], name="slow_chain")
