"""Names resolve as Python would: imports, aliases, re-exports, source order."""

from __future__ import annotations

from pathlib import Path

from glacier.config import Settings
from tests.analysis.helpers import analyze, codes, write_project

DATASETS = """
from glacier import Dataset
from glacier.storage import S3

raw = Dataset("raw", storage=S3(bucket="lake", prefix="raw/"))
clean = Dataset("clean")
"""


def _edges(result: object) -> list[tuple[str, str, str]]:
    pipeline = result.project.pipelines[0]  # type: ignore[attr-defined]
    return [(e.source, e.target, e.dataset) for e in pipeline.graph.edges]


def test_aliases_module_attributes_and_reexports(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        {
            "shop/__init__.py": "from shop.datasets import clean as clean_data\n",
            "shop/datasets.py": DATASETS,
            "shop/tasks.py": """
                import glacier as g
                from glacier import task as step
                from shop import datasets as ds
                from shop import clean_data


                @step
                def tidy(x: ds.raw) -> ds.clean: ...


                @g.task()
                def report(x: clean_data) -> None: ...
            """,
            "shop/pipeline.py": """
                from glacier import Pipeline as P
                from . import tasks

                pipeline = P(tasks=[tasks.report, tasks.tidy], name="shop")
            """,
        },
    )
    assert codes(result) == []
    pipeline = result.project.pipelines[0]
    assert pipeline.name == "shop" and pipeline.variable == "pipeline"
    assert pipeline.graph.order == ("shop.tasks.tidy", "shop.tasks.report")
    assert pipeline.graph.inputs == ("raw",)
    assert _edges(result) == [("shop.tasks.tidy", "shop.tasks.report", "clean")]
    assert result.project.dataset("raw").storage == {  # type: ignore[union-attr]
        "kind": "s3",
        "bucket": "lake",
        "prefix": "raw/",
        "uri": "s3://lake/raw/",
    }


def test_star_imports_type_checking_and_deferred_annotations(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/datasets.py": DATASETS + "__all__ = ['raw', 'clean']\n",
            "pkg/flow.py": """
                from __future__ import annotations

                from typing import TYPE_CHECKING

                import glacier
                from pkg.datasets import *

                if TYPE_CHECKING:
                    from pkg.more import late


                @glacier.task
                def tidy(x: raw) -> clean: ...


                @glacier.task
                def use(x: clean, y: late) -> None: ...


                pipeline = glacier.Pipeline([tidy, use])
            """,
            "pkg/more.py": "from glacier import Dataset, task\n"
            'late = Dataset("late", storage=None)\n'
            "@task\ndef make() -> late: ...\n",
        },
    )
    assert "GLC012" not in codes(result)
    task = result.project.task("pkg.flow.use")
    assert task is not None
    assert [(i.parameter, i.dataset) for i in task.inputs] == [("x", "clean"), ("y", "late")]


def test_lookalikes_yield_nothing(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        {
            "other.py": """
                from celery import task
                from mylib import Dataset, Pipeline

                raw = Dataset("raw")


                @task
                def job(x: raw) -> raw: ...


                pipeline = Pipeline([job])
            """,
            "local_glacier.py": """
                def task(fn):
                    return fn


                class Dataset:
                    def __init__(self, name): ...


                x = Dataset("x")


                @task
                def job() -> x: ...
            """,
        },
    )
    assert result.project.datasets == ()
    assert result.project.tasks == ()
    assert result.project.pipelines == ()
    assert codes(result) == []


def test_storage_and_compute_under_any_spelling(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        {
            "flow.py": """
                import glacier.storage
                import glacier.compute as gc
                from glacier import Dataset, Pipeline, task
                from glacier.storage import GCS as Bucket

                a = Dataset(name="a", storage=glacier.storage.S3(bucket="b"))
                where = Bucket(bucket="g", prefix="x")
                b = Dataset("b", where, schema=dict)


                @task(compute=gc.container("spark:latest", cpu=2))
                def one(x: a) -> b: ...


                pipeline = Pipeline([one])
            """
        },
    )
    assert codes(result) == []
    project = result.project
    assert project.dataset("a").storage["kind"] == "s3"  # type: ignore[index,union-attr]
    assert project.dataset("b").storage["uri"] == "gs://g/x/"  # type: ignore[index,union-attr]
    assert project.dataset("b").schema == "dict"  # type: ignore[union-attr]
    assert project.task("flow.one").compute == {  # type: ignore[union-attr]
        "kind": "container",
        "image": "spark:latest",
        "cpu": 2,
        "memory": None,
    }


def test_source_order_and_shadowing(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        {
            "flow.py": """
                from glacier import Dataset, Pipeline, task

                raw = Dataset("raw")
                clean = Dataset("clean")
                out = Dataset("out")


                @task
                def extract() -> raw: ...


                @task
                def clean(x: raw) -> clean: ...


                @task
                def use(x: clean) -> out: ...


                pipeline = Pipeline([use, clean, extract])
            """
        },
    )
    assert codes(result) == ["GLC010"]
    assert result.project.pipelines[0].graph.order == ("flow.extract", "flow.clean", "flow.use")
    roles = {(r.kind, r.target, r.role) for r in result.references if r.span.line == 18}
    assert roles == {
        ("task", "flow.use", "declaration"),
        ("task", "flow.clean", "input"),
        ("dataset", "out", "output"),
    }


def test_src_roots_name_modules(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "src/app/flow.py": """
                from glacier import Dataset, Pipeline, task
                raw = Dataset("raw")
                @task
                def extract() -> raw: ...
                pipeline = Pipeline([extract])
            """
        },
    )
    from glacier.analysis import analyze_paths

    plain = analyze_paths([tmp_path], Settings(root=tmp_path), cache=False)
    assert [t.id for t in plain.project.tasks] == ["flow.extract"]
    rooted = analyze_paths(
        [tmp_path], Settings(root=tmp_path, src=(tmp_path / "src",)), cache=False
    )
    assert [t.id for t in rooted.project.tasks] == ["app.flow.extract"]


def test_did_you_mean(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        {
            "flow.py": """
                from glacier import Dataset, Pipeline, task
                from shop import datasets as ds
                raw_users = Dataset("raw_users")
                @task
                def extract() -> raw_users: ...
                @task
                def use(x: raw_user, y: ds.orderz) -> None: ...
                pipeline = Pipeline([extract, use, extrac])
            """,
            "shop/__init__.py": "",
            "shop/datasets.py": 'from glacier import Dataset\norders = Dataset("orders")\n',
        },
    )
    messages = sorted(d.message for d in result.diagnostics if d.code == "GLC012")
    assert messages == [
        "Name `ds.orderz` is not defined (did you mean `ds.orders`?)",
        "Name `extrac` is not defined (did you mean `extract`?)",
        "Name `raw_user` is not defined (did you mean `raw_users`?)",
    ]


def test_cycle_has_related_locations(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        {
            "flow.py": """
                from glacier import Dataset, Pipeline, task
                a = Dataset("a")
                b = Dataset("b")
                @task
                def one(x: a) -> b: ...
                @task
                def two(x: b) -> a: ...
                pipeline = Pipeline([one, two])
            """
        },
    )
    (cycle,) = [d for d in result.diagnostics if d.code == "GLC001"]
    assert cycle.message == "Pipeline `pipeline` has a cycle: `one` -> `two` -> `one`"
    assert [r.span.line for r in cycle.related] == [6, 8]
    assert (cycle.span.line, cycle.span.column) == (9, 12)
    assert result.project.pipelines[0].graph.order == ()


def test_string_annotations(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        {
            "plain.py": """
                from glacier import Dataset, Pipeline, task
                raw = Dataset("raw")
                @task
                def extract() -> "raw": ...
                @task
                def use(x: "later") -> None: ...
                later = Dataset("later")
                @task
                def make() -> later: ...
                pipeline = Pipeline([extract, use, make])
            """,
            "future.py": """
                from __future__ import annotations
                from glacier import Dataset, task
                raw = Dataset("raw2")
                @task
                def quoted() -> "raw": ...
            """,
        },
    )
    # A quoted annotation under `from __future__ import annotations` is still the name.
    assert [(d.code, d.message) for d in result.diagnostics] == []
    assert result.project.task("future.quoted").output == "raw2"  # type: ignore[union-attr]
    assert result.project.task("plain.use").inputs[0].dataset == "later"  # type: ignore[union-attr]


def test_pipelines_inside_functions(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        {
            "flow.py": """
                import glacier
                from glacier import Dataset, task

                raw = Dataset("raw")
                clean = Dataset("clean")


                @task
                def extract() -> raw: ...


                @task
                def tidy(x: raw) -> clean: ...


                listed = glacier.Pipeline([extract])


                def build():
                    return glacier.Pipeline([extract, tidy])
            """,
            "other.py": """
                from glacier import Dataset
                from sklearn.pipeline import Pipeline

                def model():
                    return Pipeline([])
            """,
        },
    )
    # The hidden pipeline may list `tidy`: no orphan warning is guessed.
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("GLC011", 21)]
