"""Cache and resume: what reruns after a failure, an edit, a parameter; signed entries."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from glacier import Pipeline

from .conftest import Write, glacier_command, glacier_env

FLOW = '''\
from pathlib import Path

from glacier import Dataset, Pipeline, task

HERE = Path(__file__).parent
raw = Dataset("raw")
clean = Dataset("clean")
report = Dataset("report")
other = Dataset("other")


def count(name):
    with open(HERE / "executions.log", "a") as log:
        log.write(name + "\\n")


def tidy(rows):
    """Helper: strip names."""
    return [row.strip() for row in rows]


@task
def extract() -> raw:
    count("extract")
    return [" ada ", "grace "]


@task
def transform(rows: raw) -> clean:
    count("transform")
    return tidy(rows)


@task
def summarize(rows: clean, suffix: str = "!") -> report:
    count("summarize")
    if (HERE / "fail").exists():
        raise RuntimeError("summarize is broken")
    return [row + suffix for row in rows]


@task
def independent() -> other:
    count("independent")
    return {"n": 1}


pipeline = Pipeline([extract, transform, summarize, independent])
'''


def run(project: Path, *extra: str) -> tuple[int, list[str], dict[str, str]]:
    log = project / "executions.log"
    log.unlink(missing_ok=True)
    out = subprocess.run(
        [
            glacier_command(),
            "run",
            str(project / "flow.py"),
            "--cache",
            "--output-format",
            "json",
            *extra,
        ],
        capture_output=True,
        text=True,
        env=glacier_env(),
        cwd=project,
        check=False,
    )
    executed = log.read_text().split() if log.exists() else []
    try:
        summary = json.loads(out.stdout)
    except ValueError:
        raise AssertionError(out.stderr) from None
    statuses = {t["name"]: t["status"] for t in summary["tasks"]}
    return out.returncode, executed, statuses


@pytest.fixture
def flow(project: Path, write: Write) -> Path:
    write("flow.py", FLOW)
    return project


def edit(project: Path, old: str, new: str) -> None:
    path = project / "flow.py"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_second_run_is_fully_cached(flow: Path) -> None:
    code, executed, _ = run(flow)
    assert code == 0 and sorted(executed) == ["extract", "independent", "summarize", "transform"]
    code, executed, statuses = run(flow)
    assert code == 0 and executed == []
    assert set(statuses.values()) == {"cached"}
    assert (flow / ".glacier" / ".gitignore").read_text().strip().endswith("*")


def test_resume_after_a_failure_reruns_only_the_failed_task_and_its_dependents(flow: Path) -> None:
    (flow / "fail").write_text("")
    code, executed, statuses = run(flow)
    assert code == 1
    assert statuses["summarize"] == "failed"
    (flow / "fail").unlink()
    code, executed, statuses = run(flow)
    assert code == 0
    assert executed == ["summarize"]
    assert statuses == {
        "extract": "cached",
        "transform": "cached",
        "summarize": "succeeded",
        "independent": "cached",
    }


def test_docstrings_comments_and_formatting_do_not_invalidate(flow: Path) -> None:
    run(flow)
    edit(flow, '"""Helper: strip names."""', '"""Helper: strip the names (reworded)."""')
    edit(flow, '    count("transform")\n', "    # a comment\n    count(  'transform'  )\n")
    edit(flow, "def independent() -> other:", "def independent(\n) -> other:")
    code, executed, _ = run(flow)
    assert code == 0 and executed == []


def test_editing_a_called_helper_reruns_its_callers_and_their_dependents(flow: Path) -> None:
    run(flow)
    edit(
        flow, "return [row.strip() for row in rows]", "return [row.strip().title() for row in rows]"
    )
    code, executed, statuses = run(flow)
    assert code == 0
    assert executed == ["transform", "summarize"]
    assert statuses["extract"] == "cached" and statuses["independent"] == "cached"


def test_editing_a_task_body_reruns_it_and_its_dependents(flow: Path) -> None:
    run(flow)
    edit(flow, 'return [" ada ", "grace "]', 'return [" ada ", "grace ", "alan"]')
    _code, executed, _ = run(flow)
    assert executed == ["extract", "transform", "summarize"]


def test_parameters_are_part_of_the_key(flow: Path) -> None:
    run(flow)
    _, executed, _ = run(flow, "--param", "suffix=?")
    assert executed == ["summarize"]
    _code, executed, _ = run(flow, "--param", "suffix=?")
    assert executed == []


def test_cache_false_and_cache_version(flow: Path) -> None:
    edit(flow, "@task\ndef independent", "@task(cache=False)\ndef independent")
    run(flow)
    _, executed, statuses = run(flow)
    assert executed == ["independent"] and statuses["independent"] == "succeeded"
    edit(flow, "@task\ndef extract", "@task(cache_version=2)\ndef extract")
    _code, executed, _ = run(flow)
    assert sorted(executed) == ["extract", "independent", "summarize", "transform"]


def test_a_foreign_signature_is_a_miss(
    flow: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tuples only pickle can store faithfully: cached as signed pickles.
    edit(flow, 'return {"n": 1}', "return (1, 2)")
    run(flow)
    monkeypatch.setenv("GLACIER_SIGNING_KEY_FILE", str(tmp_path / "someone-else"))
    code, executed, statuses = run(flow)
    assert code == 0
    assert executed == ["independent"]  # its pickle fails the new key's check: run again
    assert statuses["extract"] == "cached"


def test_stored_outputs_serve_as_the_cache(project: Path, write: Write) -> None:
    write(
        "flow.py",
        FLOW.replace(
            'report = Dataset("report")',
            'report = Dataset("report", storage=LocalPath("lake/report"))',
        ).replace(
            "from glacier import Dataset, Pipeline, task",
            "from glacier import Dataset, Pipeline, task\nfrom glacier.storage import LocalPath",
        ),
    )
    run(project)
    manifest = json.loads((project / "lake" / "report" / "_current.json").read_text())["manifest"]
    assert manifest["cache_key"] and manifest["task_id"] == "flow.summarize"
    cache_dirs = {p.name for p in (project / ".glacier" / "cache").iterdir()}
    assert "flow.summarize" not in cache_dirs  # no second copy
    _code, executed, _ = run(project)
    assert executed == []


SINK = """\
from pathlib import Path

from glacier import Dataset, Pipeline, task

HERE = Path(__file__).parent
rows = Dataset("rows")


@task
def produce() -> rows:
    return [1, 2]


@task
def publish(values: rows):
    with open(HERE / "published.log", "a") as log:
        log.write("published\\n")


pipeline = Pipeline([produce, publish])
"""


def _publications(project: Path) -> int:
    log = project / "published.log"
    return len(log.read_text().split()) if log.exists() else 0


def test_the_marker_of_a_task_without_output_is_signed(
    project: Path, write: Write, load: Callable[[str], Pipeline], signing_key_file: Path
) -> None:
    write("sink.py", SINK)
    pipeline = load("sink.py")
    pipeline.run(cache=True, progress=False)
    assert pipeline.run(cache=True, progress=False).tasks["publish"].status == "cached"
    assert _publications(project) == 1
    (marker,) = (project / ".glacier" / "cache").glob("*publish/done-*")

    # A planted marker (the key in clear, as an unsigned entry would hold) is a miss.
    marker.write_bytes(marker.name.removeprefix("done-").encode())
    assert pipeline.run(cache=True, progress=False).tasks["publish"].status == "succeeded"
    assert _publications(project) == 2
    assert pipeline.run(cache=True, progress=False).tasks["publish"].status == "cached"

    # A marker signed with someone else's key is a miss too.
    signing_key_file.write_bytes(b"another user's key, 32 bytes ok!")
    assert pipeline.run(cache=True, progress=False).tasks["publish"].status == "succeeded"
    assert _publications(project) == 3


def test_an_unpicklable_input_is_announced_once_and_its_consumers_run(
    write: Write, load: Callable[[str], Pipeline], capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        "given.py",
        """\
        from glacier import Dataset, Pipeline, task

        connection = Dataset("connection")
        count = Dataset("count")
        doubled = Dataset("doubled")


        @task
        def query(db: connection) -> count:
            return 21


        @task
        def double(n: count) -> doubled:
            return n * 2


        pipeline = Pipeline([query, double])
        """,
    )
    pipeline = load("given.py")
    lock = threading.Lock()  # cannot be pickled, like an open connection
    first = pipeline.run(inputs={"connection": lock}, cache=True, progress=False)
    assert first["doubled"] == 42
    second = pipeline.run(inputs={"connection": lock}, cache=True, progress=False)
    assert second.tasks["query"].status == "succeeded"  # no key for its input: it runs
    assert second.tasks["double"].status == "cached"  # keyed on the value `query` returned
    notices = [line for line in capsys.readouterr().err.splitlines() if "inputs=" in line]
    assert len(notices) == 2  # once per run
    assert "`connection` (lock) cannot be pickled" in notices[0]
    assert "`query`" in notices[0] and "`double`" not in notices[0]
