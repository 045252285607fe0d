"""The plugin gives the same results cold, warm, after edits, in parallel and under dmypy.

Each test builds a small project in a temporary directory and runs mypy as a subprocess
with its own ``--cache-dir``; ``GLACIER_STRICT=1`` makes any plugin exception fatal.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import glacier_mypy

PROJECT = {
    "proj/__init__.py": "",
    "proj/schemas.py": """
        from dataclasses import dataclass

        @dataclass
        class User:
            id: int
            name: str
    """,
    "proj/datasets.py": """
        from glacier import Dataset
        from glacier.storage import S3
        from proj.schemas import User

        raw_users = Dataset("raw_users", schema=User)
        stats = Dataset("stats", schema=int)
        source = Dataset("source", storage=S3(bucket="b", prefix="p/"), schema=str)
    """,
    "proj/tasks.py": """
        from glacier import task
        from proj import datasets as ds
        from proj.datasets import raw_users, source, stats

        @task
        def load(s: source) -> raw_users:
            return ds.User(1, s)

        @task
        def count(u: ds.raw_users) -> stats:
            return u.id

        @task
        def bad(u: raw_users) -> ds.stats:
            return 0
    """,
    "proj/pipes.py": """
        from glacier import Pipeline
        from proj.tasks import bad, count, load

        ok = Pipeline([load, count])
        missing = Pipeline([count])
        dup = Pipeline([load, count, bad])
    """,
    "mypy.ini": """
        [mypy]
        plugins = glacier_mypy
    """,
}


def _missing(line: int, dataset: str, consumers: str, pipeline: str) -> str:
    return (
        f"proj/pipes.py:{line}: error: Dataset `{dataset}` is consumed by {consumers} but no "
        f"task in pipeline `{pipeline}` produces it  [glacier-missing-producer]"
    )


def _duplicate(line: int, dataset: str, pipeline: str) -> str:
    return (
        f"proj/pipes.py:{line}: error: Dataset `{dataset}` is produced by more than one task "
        f"in pipeline `{pipeline}`: `count`, `bad`  [glacier-duplicate-producer]"
    )


def _return_value(line: int) -> str:
    return (
        f"proj/tasks.py:{line}: error: Incompatible return value type "
        '(got "int", expected "str")  [return-value]'
    )


MISSING = _missing(5, "raw_users", "`count`", "missing")
DUPLICATE = _duplicate(6, "stats", "dup")
#: What every mode must report after each edit of `test_cold_warm_and_edited_runs_agree`
#: (each list was checked against a ``--no-incremental`` run).
AGAIN = [
    MISSING,
    DUPLICATE,
    _missing(7, "raw_users", "`count`, `bad`", "again"),
    _duplicate(7, "stats", "again"),
]
NO_STORAGE = [
    _missing(4, "source", "`load`", "ok"),
    MISSING,
    _missing(6, "source", "`load`", "dup"),
    *AGAIN[1:],
]
SCHEMA = [_return_value(11), _return_value(15), *NO_STORAGE]
RENAMED = [line.replace("`stats`", "`statistics`") for line in SCHEMA]
WORKER_TIMEOUT = "Cannot connect to build worker"

REPO = Path(__file__).resolve().parents[2]
#: The lowest supported mypy (see docs/mypy.md), installed by scripts/setup.sh into its own
#: virtualenv; without it the tests that use it fail, saying how to install it.
LOWEST_PYTHON = Path(
    os.environ.get("GLACIER_MYPY_LOWEST_PYTHON", REPO / ".venv-mypy-lowest" / "bin" / "python")
)


@pytest.fixture(params=["current", "lowest"])
def python(request: pytest.FixtureRequest) -> str:
    """The interpreter whose mypy runs: this one, or the lowest supported mypy's."""
    if request.param == "current":
        return sys.executable
    if not LOWEST_PYTHON.exists():
        pytest.fail(f"lowest supported mypy not installed ({LOWEST_PYTHON}); run scripts/setup.sh")
    return str(LOWEST_PYTHON)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, (old, text)
    before = path.stat().st_mtime
    path.write_text(text.replace(old, new))
    # mypy and dmypy notice a change by size or whole-second mtime: an edit that keeps the
    # size within the second of the previous one would go unseen (mypy's own shortcut, not
    # the plugin's), so give every edit a later second.
    stamp = max(time.time(), before) + 10
    os.utime(path, (stamp, stamp))


def _env() -> dict[str, str]:
    # MYPYPATH: mypy finds `glacier` in this checkout however it is installed (a default
    # editable install uses an import hook that mypy cannot see), as pytest-mypy-plugins does.
    return {**os.environ, "GLACIER_STRICT": "1", "MYPYPATH": str(REPO)}


def _mypy(root: Path, *args: str, attempts: int = 3, python: str = sys.executable) -> list[str]:
    """Run mypy on ``proj``; return its diagnostic lines (summary line dropped)."""
    command = [
        python,
        "-m",
        "mypy",
        "--config-file",
        "mypy.ini",
        "--show-traceback",
        "--no-error-summary",
        "--cache-dir",
        str(root / ".cache"),
        *args,
        "-p",
        "proj",
    ]
    for _ in range(attempts):
        completed = subprocess.run(
            command, cwd=root, env=_env(), capture_output=True, text=True, timeout=300
        )
        output = completed.stdout + completed.stderr
        # mypy's experimental parallel mode gives up when its workers start slowly (a
        # busy machine); that is mypy's own start-up, not the plugin: try again.
        if WORKER_TIMEOUT not in output:
            break
    assert "INTERNAL ERROR" not in output and "Traceback" not in output, output
    assert completed.returncode in (0, 1), output
    return completed.stdout.splitlines()


def _cold(root: Path, python: str = sys.executable) -> list[str]:
    return _mypy(root, "--no-incremental", python=python)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    _write(tmp_path, PROJECT)
    return tmp_path


def test_cold_warm_and_edited_runs_agree(project: Path, python: str) -> None:
    assert _mypy(project, python=python) == [MISSING, DUPLICATE]  # cold, writing the cache
    assert _mypy(project, python=python) == [MISSING, DUPLICATE]  # warm: everything from the cache
    flag = ["--disable-error-code", "glacier-missing-producer"]
    assert _mypy(project, *flag, python=python) == [DUPLICATE]

    # Edit only the pipeline module: the tasks come from the cache.
    with (project / "proj/pipes.py").open("a") as handle:
        handle.write("again = Pipeline([count, bad, count])\n")
    assert _mypy(project, python=python) == AGAIN

    # Drop the storage of an external input: it becomes a missing producer.
    _edit(project / "proj/datasets.py", 'storage=S3(bucket="b", prefix="p/"), ', "")
    assert _mypy(project, python=python) == NO_STORAGE

    # Change a schema: the producers' return types are now wrong.
    _edit(project / "proj/datasets.py", "schema=int", "schema=str")
    assert _mypy(project, python=python) == SCHEMA

    # Rename a dataset's name string: messages follow the name, not the variable.
    _edit(project / "proj/datasets.py", 'Dataset("stats"', 'Dataset("statistics"')
    assert _mypy(project, python=python) == RENAMED
    assert _cold(project, python) == RENAMED


def test_storage_folder_edits_reach_cached_pipelines(project: Path) -> None:
    """GLC013 follows an edit of a storage folder in another module, from the cache."""
    _write(
        project,
        {
            "proj/lake.py": """
                from glacier import Dataset
                from glacier.storage import S3

                mirror = Dataset("mirror", storage=S3(bucket="b", prefix="q/"))
            """,
            "proj/both.py": """
                from glacier import Pipeline, task
                from proj.datasets import source
                from proj.lake import mirror

                @task
                def sync(s: source) -> mirror: ...

                both = Pipeline([sync])
            """,
        },
    )
    overlap = (
        "proj/both.py:8: error: Datasets `source` and `mirror` of pipeline `both` nest one "
        "folder inside the other: s3://b/p/ ⊃ s3://b/p/mirror/  [glacier-overlapping-storage]"
    )
    assert overlap not in _mypy(project)  # cold, writing the cache
    _edit(project / "proj/lake.py", 'prefix="q/"', 'prefix="p/mirror"')
    assert overlap in _mypy(project)  # only lake.py changed: both.py is re-checked
    assert overlap in _cold(project)
    _edit(project / "proj/lake.py", 'prefix="p/mirror"', 'prefix="q/"')
    assert overlap not in _mypy(project)


def test_parallel_workers_agree_with_sequential(project: Path) -> None:
    assert _mypy(project, "--num-workers", "2") == [MISSING, DUPLICATE]
    assert _mypy(project, "--num-workers", "2") == [MISSING, DUPLICATE]
    _edit(project / "proj/datasets.py", 'storage=S3(bucket="b", prefix="p/"), ', "")
    assert sorted(_mypy(project, "--num-workers", "2")) == sorted(NO_STORAGE[:4])


def test_dmypy_follows_edits(project: Path) -> None:
    status = str(project / ".dmypy.json")
    dmypy = [sys.executable, "-m", "mypy.dmypy", "--status-file", status]

    def run() -> list[str]:
        completed = subprocess.run(
            [
                *dmypy,
                "run",
                "--",
                "--config-file",
                "mypy.ini",
                "--show-traceback",
                "--no-error-summary",
                "-p",
                "proj",
            ],
            cwd=project,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        output = completed.stdout + completed.stderr
        assert "INTERNAL ERROR" not in output and "Traceback" not in output, output
        return sorted(line for line in completed.stdout.splitlines() if line != "Daemon started")

    try:
        assert run() == sorted([MISSING, DUPLICATE])
        # (file, old, new, expected afterwards)
        edits = [
            (
                "proj/pipes.py",
                "dup = Pipeline([load, count, bad])",
                "dup = Pipeline([load, count, bad])\nagain = Pipeline([count, bad, count])",
                AGAIN,
            ),
            ("proj/datasets.py", 'storage=S3(bucket="b", prefix="p/"), ', "", NO_STORAGE),
            ("proj/datasets.py", '"stats", schema=int', '"stats", schema=str', SCHEMA),
            ("proj/datasets.py", 'Dataset("stats"', 'Dataset("statistics"', RENAMED),
            ("proj/datasets.py", 'Dataset("statistics"', 'Dataset("stats"', SCHEMA),
            ("proj/datasets.py", '"stats", schema=str', '"stats", schema=int', NO_STORAGE),
        ]
        for name, old, new, expected in edits:
            _edit(project / name, old, new)
            assert run() == sorted(expected), (name, old, new)
        assert run() == sorted(_cold(project))
    finally:
        subprocess.run([*dmypy, "stop"], cwd=project, env=_env(), capture_output=True, timeout=60)


def test_plugin_version_reaches_mypy_cache_checks() -> None:
    from mypy.options import Options
    from mypy.plugin import ReportConfigContext

    from glacier import __version__ as glacier_version

    assert glacier_mypy.__version__.startswith(glacier_version)
    plugin_class = glacier_mypy.plugin("2.4.1")
    assert plugin_class is glacier_mypy.GlacierPlugin
    plugin = plugin_class(Options())
    data = plugin.report_config_data(ReportConfigContext("m", "m.py", is_check=True))
    assert data == {"glacier_mypy": glacier_mypy.__version__}


def test_changed_plugin_invalidates_the_cache(tmp_path: Path) -> None:
    """A new plugin version (or any edit of its entry module) makes mypy drop its cache."""
    plugin = tmp_path / "glacier_plugin_copy.py"
    plugin.write_text(Path(glacier_mypy.__file__).read_text())
    (tmp_path / "mypy.ini").write_text("[mypy]\nplugins = glacier_plugin_copy.py\n")
    (tmp_path / "m.py").write_text(
        "from glacier import Dataset\nx = Dataset('x')\ndef f(a: x) -> None: ...\n"
    )

    def log() -> str:
        completed = subprocess.run(
            [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "-v",
             "--cache-dir", str(tmp_path / ".cache"), "m.py"],
            cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert completed.returncode == 0, completed.stdout + completed.stderr
        return completed.stderr

    log()
    assert "Metadata fresh for m:" in log()
    text = plugin.read_text()
    assert text.count("\n__version__ = ") == 1
    plugin.write_text(text.replace("\n__version__ = ", '\n__version__ = "next-" + '))
    assert "Metadata abandoned for m: plugins differ" in log()


def test_guard_swallows_errors_unless_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(ctx: int) -> int:
        raise RuntimeError("plugin bug")

    guarded = glacier_mypy._guarded(broken, lambda ctx: -ctx)
    monkeypatch.delenv("GLACIER_STRICT", raising=False)
    assert guarded(3) == -3
    monkeypatch.setenv("GLACIER_STRICT", "1")
    with pytest.raises(RuntimeError, match="plugin bug"):
        guarded(3)
