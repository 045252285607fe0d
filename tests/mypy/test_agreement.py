"""mypy (with the plugin) and ``glacier check`` report graph problems on the same lines.

For the rules both outlets report (GLC001 cycle, GLC002 missing-producer, GLC003
duplicate-producer, GLC004 not-a-dataset, GLC005 not-a-task, GLC013
overlapping-storage), the set of
``(file, line, rule)`` must be equal, on the bundled examples and on generated pipelines.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import glacier.analysis as analysis
from glacier.rules import (
    CYCLE,
    DUPLICATE_PRODUCER,
    MISSING_PRODUCER,
    NOT_A_DATASET,
    NOT_A_TASK,
    OVERLAPPING_STORAGE,
)

REPO = Path(__file__).resolve().parents[2]
SHARED = {
    rule.code: rule
    for rule in (
        CYCLE,
        MISSING_PRODUCER,
        DUPLICATE_PRODUCER,
        NOT_A_DATASET,
        NOT_A_TASK,
        OVERLAPPING_STORAGE,
    )
}
BY_MYPY_CODE = {rule.mypy_code: rule.code for rule in SHARED.values()}
MYPY_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")
#: mypy itself rejects some annotations that are GLC004 for `glacier check` (a plain
#: function, or a task that produces nothing, used as an annotation): `[valid-type]`.
VALID_TYPE = "valid-type"
RULE_FIXTURES = REPO / "tests" / "projects" / "rules"

Finding = tuple[str, int, str]

GENERATED = {
    "flat.py": """
        from glacier import Dataset, Pipeline, task
        from glacier.storage import S3

        a = Dataset("a", schema=int)
        b = Dataset("b", schema=int)
        c = Dataset("c")
        d = Dataset("d")
        stored = Dataset("stored", storage=S3(bucket="bk", prefix="in/"))

        @task
        def make_a() -> a:
            return 1

        @task
        def also_make_a() -> a:
            return 2

        @task
        def a_to_b(x: a) -> b:
            return x

        @task
        def b_to_a(x: b) -> a:
            return x

        @task
        def c_loop(x: c) -> c:
            return x

        @task
        def needs_d(x: d, s: stored) -> None: ...

        def plain(x: a) -> b:
            return x

        ok = Pipeline([make_a, a_to_b])
        missing = Pipeline([a_to_b, needs_d])
        dup = Pipeline([make_a, also_make_a, a_to_b])
        cyc = Pipeline([a_to_b, b_to_a])
        self_loop = Pipeline([c_loop], name="self-loop")
        not_tasks = Pipeline([make_a, plain, a_to_b])
        multi = Pipeline(
            tasks=[
                a_to_b,
                b_to_a,
                c_loop,
            ],
            name="multi",
        )
    """,
    "shadow.py": """
        from glacier import Dataset, Pipeline, task

        raw = Dataset("raw")
        clean = Dataset("clean")
        report = Dataset("report")

        @task
        def extract() -> raw:
            return []

        @task  # type: ignore[no-redef]
        def clean(rows: raw) -> clean:
            return rows

        @task
        def summarize(rows: clean) -> report:
            return rows

        full = Pipeline([extract, clean, summarize])
        broken = Pipeline([clean, summarize])
        twice = Pipeline([extract, clean, summarize, summarize])
    """,
    "shop/__init__.py": "",
    "shop/datasets.py": """
        from glacier import Dataset

        orders = Dataset("orders", schema=dict)
        totals = Dataset("totals", schema=float)
        audit = Dataset("audit")
    """,
    "shop/tasks.py": """
        import glacier as g
        from shop import datasets as ds
        from shop.datasets import orders, totals

        @g.task
        def load_orders() -> orders:
            return {}

        @g.task
        def total(o: ds.orders) -> totals:
            return 0.0

        @g.task
        def recount(t: totals) -> ds.orders:
            return {}

        @g.task
        def audit_totals(t: totals, a: ds.audit) -> None: ...

        @g.task(compute=g.compute.local())
        def configured(t: totals, limit: int = 3, *, strict: bool) -> float:
            return 0.0

        @g.task
        def from_task(o: load_orders, extra) -> None: ...
    """,
    "shop/pipelines.py": """
        from glacier import Pipeline
        from shop.tasks import audit_totals, load_orders, recount, total

        daily = Pipeline([load_orders, total])
        loop = Pipeline([total, recount], name="loop")
        audit = Pipeline([load_orders, total, audit_totals])
        both = Pipeline([load_orders, recount, total])
    """,
    # Storage folders declared in one module, overlapping in another module's pipelines.
    "lake/__init__.py": "",
    "lake/datasets.py": """
        from glacier import Dataset
        from glacier.storage import S3, LocalPath

        raw = Dataset("raw", storage=S3(bucket="lake", prefix="shop/"))
        clean = Dataset("clean", storage=S3("lake", "shop/clean"))
        apart = Dataset("apart", storage=S3("lake", "shop_archive/"))
        here = Dataset("here", storage=LocalPath("out/a"))
        there = Dataset("there", storage=LocalPath("out/a/"))
        prefix = "dynamic/"
        unknown = Dataset("unknown", storage=S3("lake", prefix))
    """,
    "lake/pipelines.py": """
        from glacier import Pipeline, task
        from lake.datasets import apart, clean, here, raw, there, unknown

        @task
        def tidy(data: raw) -> clean: ...

        @task
        def archive(data: clean) -> apart: ...

        @task
        def mirror(data: here) -> there: ...

        @task
        def guess(data: unknown) -> apart: ...

        nested = Pipeline([tidy])
        fine = Pipeline([archive])
        shared = Pipeline(
            [archive, mirror],
            name="shared",
        )
        unknowable = Pipeline([guess])
    """,
}


def _glacier_findings(root: Path, paths: list[Path]) -> set[Finding]:
    result = analysis.analyze_paths([str(p) for p in paths], cache=False)
    findings: set[Finding] = set()
    for diagnostic in result.diagnostics:
        if diagnostic.rule.code in SHARED:
            filename = os.path.relpath(diagnostic.span.filename, root)
            findings.add((filename, diagnostic.span.line, diagnostic.rule.code))
    return findings


def _mypy_findings(root: Path, args: list[str]) -> set[Finding]:
    # The configuration lives outside ``root``, which may be the repository itself.
    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch) / "mypy.ini"
        config.write_text("[mypy]\nplugins = glacier_mypy\n")
        completed = subprocess.run(
            [
                sys.executable, "-m", "mypy", "--config-file", str(config), "--no-incremental",
                "--show-traceback", "--no-error-summary", *args,
            ],
            cwd=root, env={**os.environ, "GLACIER_STRICT": "1", "MYPYPATH": str(REPO)},
            capture_output=True, text=True,
            timeout=300,
        )  # fmt: skip
    output = completed.stdout + completed.stderr
    assert "INTERNAL ERROR" not in output and "Traceback" not in output, output
    assert completed.returncode in (0, 1), output
    findings: set[Finding] = set()
    for line in completed.stdout.splitlines():
        match = MYPY_LINE.match(line)
        if match and match["code"] in BY_MYPY_CODE:
            findings.add((match["file"], int(match["line"]), BY_MYPY_CODE[match["code"]]))
        elif match and match["code"] == VALID_TYPE:
            findings.add((match["file"], int(match["line"]), VALID_TYPE))
    return findings


def _agree(mypy: set[Finding], glacier: set[Finding]) -> None:
    """Equal, where mypy's `[valid-type]` stands for a GLC004 on the same line."""
    accepted = {
        (file, line, NOT_A_DATASET.code if code == VALID_TYPE else code)
        for file, line, code in mypy
        if code != VALID_TYPE or (file, line, NOT_A_DATASET.code) in glacier
    }
    assert sorted(accepted) == sorted(glacier)


def test_examples_agree() -> None:
    files = sorted((REPO / "examples").rglob("*.py"))
    files = [f for f in files if "broken" not in f.parts]
    mypy = _mypy_findings(REPO, [str(f.relative_to(REPO)) for f in files])
    glacier = _glacier_findings(REPO, files)
    _agree(mypy, glacier)


def test_generated_pipelines_agree(tmp_path: Path) -> None:
    for name, text in GENERATED.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    mypy = _mypy_findings(tmp_path, ["flat.py", "shadow.py", "shop", "lake"])
    glacier = _glacier_findings(tmp_path, [tmp_path])
    # Every rule appears, so the comparison is not vacuous.
    assert {code for _, _, code in glacier} == set(SHARED), sorted(glacier)
    _agree(mypy, glacier)


def test_rule_fixtures_agree() -> None:
    names = [
        "cycle",
        "missing_producer",
        "duplicate_producer",
        "not_a_dataset",
        "not_a_task",
        "overlapping_storage",
    ]
    files = [RULE_FIXTURES / f"{name}.py" for name in names]
    assert all(f.exists() for f in files), [f.name for f in files if not f.exists()]
    mypy = _mypy_findings(RULE_FIXTURES, [f.name for f in files])
    glacier = _glacier_findings(RULE_FIXTURES, files)
    _agree(mypy, glacier)
