"""Schema validation cost against the bare pydantic/pandera call (issue 19). Goal <= 1.10.

1. 100,000 dataclass records: ``glacier.schemas.check_value(records, list[User])`` divided
   by pydantic's ``TypeAdapter(list[User]).validate_python(records)`` (adapter built once,
   configured as Glacier checks a task's output: instances revalidated, strict types).
2. 100,000 dicts against a ``TypedDict``, the same way.
3. A 1,000,000-row pandas frame: ``check_value(frame, schema)`` divided by pandera's
   ``schema.validate(frame)``; the same for polars.
4. The hook in a real run: a one-task pipeline returning that pandas frame, timed whole,
   divided by the bare pandera call (the run's own overhead is included).

Each figure is the median of paired rounds (bare, then Glacier), since the machine is noisy.

    python bench/bench_schema.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd
import pandera.pandas as pa
import pandera.polars as pap
import polars as pl
from pydantic import ConfigDict, TypeAdapter
from typing_extensions import TypedDict

from glacier import Dataset, LocalExecutor, Pipeline, task
from glacier.run.runner import run_pipeline
from glacier.schemas import check_value


@dataclasses.dataclass
class User:
    name: str
    age: int
    score: float


class UserDict(TypedDict):
    name: str
    age: int
    score: float


def _timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _paired(
    bare: Callable[[], Any], glacier: Callable[[], Any], rounds: int
) -> tuple[float, float]:
    bare()  # warm-up: adapters and schemas built, caches filled
    glacier()
    pairs = [(_timed(bare), _timed(glacier)) for _ in range(rounds)]
    ratio = statistics.median(g / b for b, g in pairs)
    return statistics.median(b for b, _ in pairs), ratio


def _report(label: str, bare_seconds: float, ratio: float) -> None:
    verdict = "ok" if ratio <= 1.10 else "ABOVE GOAL"
    print(f"{label:<48} bare {bare_seconds * 1000:8.1f} ms   ratio {ratio:5.3f}   {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    rounds = arguments.rounds

    records = [User(f"user{i}", i % 90, i / 7) for i in range(100_000)]
    strict = ConfigDict(revalidate_instances="always", strict=True, extra="forbid")
    adapter = TypeAdapter(list[User], config=strict)
    _report(
        "100,000 dataclass records (pydantic)",
        *_paired(
            lambda: adapter.validate_python(records),
            lambda: check_value(records, list[User], dataset="users"),
            rounds,
        ),
    )

    dicts = [{"name": f"user{i}", "age": i % 90, "score": i / 7} for i in range(100_000)]
    dict_adapter = TypeAdapter(list[UserDict], config=strict)
    _report(
        "100,000 TypedDict records (pydantic)",
        *_paired(
            lambda: dict_adapter.validate_python(dicts),
            lambda: check_value(dicts, list[UserDict], dataset="users"),
            rounds,
        ),
    )

    rows = 1_000_000
    frame = pd.DataFrame(
        {"id": range(rows), "amount": [i % 1000 / 10 for i in range(rows)], "country": "DE"}
    )
    schema = pa.DataFrameSchema(
        {
            "id": pa.Column(int, pa.Check.ge(0)),
            "amount": pa.Column(float, pa.Check.in_range(0, 100)),
            "country": pa.Column(str, pa.Check.str_length(2, 2)),
        }
    )
    _report(
        "1,000,000-row pandas frame (pandera)",
        *_paired(
            lambda: schema.validate(frame),
            lambda: check_value(frame, schema, dataset="orders"),
            rounds,
        ),
    )

    polars_frame = pl.from_pandas(frame)
    polars_schema = pap.DataFrameSchema(
        {
            "id": pap.Column(pl.Int64, pap.Check.ge(0)),
            "amount": pap.Column(pl.Float64, pap.Check.in_range(0, 100)),
            "country": pap.Column(pl.String),
        }
    )
    _report(
        "1,000,000-row polars frame (pandera)",
        *_paired(
            lambda: polars_schema.validate(polars_frame),
            lambda: check_value(polars_frame, polars_schema, dataset="orders"),
            rounds,
        ),
    )

    checked = Dataset("bench_checked_orders", schema=schema)

    @task
    def produce_checked() -> checked:
        return frame

    pipeline = Pipeline([produce_checked])

    def run_checked() -> None:
        run_pipeline(
            pipeline,
            LocalExecutor(workers=1),
            progress=False,
            records=False,
            project_root=str(Path(__file__).resolve().parents[1]),
        )

    bare_seconds, ratio = _paired(lambda: schema.validate(frame), run_checked, rounds)
    print(
        f"{'a run whose task returns that pandas frame':<48} bare {bare_seconds * 1000:8.1f} ms"
        f"   ratio {ratio:5.3f}   (whole run incl. validation / bare pandera call)"
    )


if __name__ == "__main__":
    main()
