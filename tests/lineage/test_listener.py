"""The OpenLineage run listener through the real client: file and HTTP transports."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from glacier.lineage import hook
from glacier.lineage.listener import OpenLineageListener, parent_run_id, task_run_id
from tests.lineage.openlineage_schema import validate

FLOW = """\
from dataclasses import dataclass

from glacier import Dataset, Pipeline, task
from glacier.storage import LocalPath


@dataclass
class User:
    id: int
    name: str


raw = Dataset("raw", storage=LocalPath("data/raw"), schema=list[User])
clean = Dataset("clean")
summary = Dataset("summary")


@task
def extract() -> raw:
    return [User(1, "Ada")]


@task
def tidy(rows: raw) -> clean:
    if FAIL:
        raise ValueError("bad row")
    return rows


@task
def summarize(rows: clean) -> summary:
    return len(rows)


FAIL = False
users = Pipeline([extract, tidy, summarize], name="users")
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for key in list(os.environ):
        if key.startswith("OPENLINEAGE"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.openlineage/openlineage.yml
    (tmp_path / "flow.py").write_text(FLOW)
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(previous)


def file_transport(directory: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    events = directory / "events.jsonl"
    config = directory / "lineage.yml"
    config.write_text(f"transport:\n  type: file\n  log_file_path: {events}\n  append: true\n")
    monkeypatch.setenv("OPENLINEAGE_CONFIG", str(config))
    return events


def read_events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def summary(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["eventType"], e["job"]["name"]) for e in events]


def test_file_transport_reports_pipeline_and_task_runs(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, load_module: Callable[..., ModuleType]
) -> None:
    events_file = file_transport(workdir, monkeypatch)
    module = load_module(workdir / "flow.py", "flow")
    result = module.users.run(progress=False)
    events = read_events(events_file)
    assert summary(events) == [
        ("START", "users"),
        ("START", "users.flow.extract"),
        ("COMPLETE", "users.flow.extract"),
        ("START", "users.flow.tidy"),
        ("COMPLETE", "users.flow.tidy"),
        ("START", "users.flow.summarize"),
        ("COMPLETE", "users.flow.summarize"),
        ("COMPLETE", "users"),
    ]
    for event in events:
        validate(event)
        assert event["job"]["namespace"] == "glacier"
    parent_id = parent_run_id(result.run_id)
    assert events[0]["run"]["runId"] == parent_id
    extract = events[1]
    assert extract["run"]["runId"] == task_run_id(result.run_id, "flow.extract")
    parent = extract["run"]["facets"]["parent"]
    assert parent["run"]["runId"] == parent_id
    assert (parent["job"]["namespace"], parent["job"]["name"]) == ("glacier", "users")
    [output] = extract["outputs"]
    assert (output["namespace"], output["name"]) == ("file", f"{workdir.resolve()}/data/raw")
    assert [f["name"] for f in output["facets"]["schema"]["fields"]] == ["id", "name"]
    location = extract["job"]["facets"]["sourceCodeLocation"]
    assert location["path"] == "flow.py"
    assert location["url"].endswith("flow.py#L19")
    tidy = events[3]
    assert [(d["namespace"], d["name"]) for d in tidy["inputs"]] == [
        ("file", f"{workdir.resolve()}/data/raw")
    ]
    assert [(d["namespace"], d["name"]) for d in tidy["outputs"]] == [
        ("glacier-dataset://glacier", "clean")
    ]


def test_a_failed_task_reports_fail_and_skipped_tasks_nothing(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, load_module: Callable[..., ModuleType]
) -> None:
    events_file = file_transport(workdir, monkeypatch)
    monkeypatch.setenv("OPENLINEAGE_NAMESPACE", "team")
    module = load_module(workdir / "flow.py", "flow")
    module.FAIL = True
    result = module.users.run(progress=False, raise_on_error=False)
    assert not result.succeeded
    events = read_events(events_file)
    assert summary(events) == [
        ("START", "users"),
        ("START", "users.flow.extract"),
        ("COMPLETE", "users.flow.extract"),
        ("START", "users.flow.tidy"),
        ("FAIL", "users.flow.tidy"),
        ("FAIL", "users"),
    ]
    for event in events:
        validate(event)
        assert event["job"]["namespace"] == "team"
    error = events[4]["run"]["facets"]["errorMessage"]
    assert error["message"] == "ValueError: bad row"
    assert error["programmingLanguage"] == "PYTHON"
    assert events[5]["run"]["facets"]["errorMessage"]["message"] == "1 task failed"


class _Recorder:
    """A small real HTTP server on 127.0.0.1 that records what it receives."""

    def __init__(self, status: int = 200) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                recorder.received.append((self.path, body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder() -> Iterator[_Recorder]:
    server = _Recorder()
    yield server
    server.close()


def test_http_transport_posts_every_event(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    load_module: Callable[..., ModuleType],
    recorder: _Recorder,
) -> None:
    monkeypatch.setenv("OPENLINEAGE_URL", recorder.url)
    module = load_module(workdir / "flow.py", "flow")
    module.users.run(progress=False)
    assert {path for path, _ in recorder.received} == {"/api/v1/lineage"}
    events = [body for _, body in recorder.received]
    assert summary(events)[0] == ("START", "users")
    assert summary(events)[-1] == ("COMPLETE", "users")
    assert len(events) == 8
    for event in events:
        validate(event)


@pytest.mark.slow  # the run's end waits up to FLUSH_TIMEOUT for a failing endpoint, twice
def test_a_transport_failure_never_fails_the_run(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    load_module: Callable[..., ModuleType],
    capfd: pytest.CaptureFixture[str],
) -> None:
    failing = _Recorder(status=500)
    try:
        monkeypatch.setenv("OPENLINEAGE_URL", failing.url)
        module = load_module(workdir / "flow.py", "flow")
        result = module.users.run(progress=False)
    finally:
        failing.close()
    assert result.succeeded
    assert failing.received  # tried (the client retries 5xx answers by itself)
    assert "OpenLineage: could not send an event" in capfd.readouterr().err

    # Nobody listening at all.
    monkeypatch.setenv("OPENLINEAGE_URL", failing.url)
    module = load_module(workdir / "flow.py", "flow_again")
    assert module.users.run(progress=False).succeeded
    assert "OpenLineage: could not send an event" in capfd.readouterr().err


def test_off_unless_configured(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, load_module: Callable[..., ModuleType]
) -> None:
    assert not hook.lineage_configured()
    module = load_module(workdir / "flow.py", "flow")
    assert module.users not in hook.pipelines
    assert module.users.run(progress=False).succeeded
    assert not list(workdir.glob("*.jsonl"))

    file_transport(workdir, monkeypatch)
    monkeypatch.setenv("OPENLINEAGE_DISABLED", "true")
    assert not hook.lineage_configured()
    assert hook.lineage_configured({"OPENLINEAGE_URL": "http://127.0.0.1:9"})
    assert hook.lineage_configured({"OPENLINEAGE__TRANSPORT__TYPE": "console"})


def test_an_interrupted_run_aborts_its_running_tasks(workdir: Path) -> None:
    from types import SimpleNamespace

    from openlineage.client import OpenLineageClient
    from openlineage.client.transport.file import FileConfig, FileTransport

    from glacier import Dataset
    from glacier.run.events import RunFinished, RunStarted, TaskStarted, TaskSucceeded
    from glacier.storage import LocalPath

    events_file = workdir / "events.jsonl"
    transport = FileTransport(FileConfig(log_file_path=str(events_file), append=True))
    listener = OpenLineageListener(OpenLineageClient(transport=transport))
    raw = Dataset("raw", storage=LocalPath("data/raw"))
    # Task plans as the run session makes them (only what listeners read).
    plans = [
        SimpleNamespace(id="m.a", name="a", inputs=(), output=raw),
        SimpleNamespace(id="m.b", name="b", inputs=(("rows", "raw"),), output=None),
        SimpleNamespace(id="m.c", name="c", inputs=(("rows", "raw"),), output=None),
    ]
    started = RunStarted(
        "run-1", 1767225600.0, "adhoc", "local", str(workdir), {}, plans, {"raw": raw}
    )
    listener(started)
    listener(TaskStarted("run-1", 1767225601.0, "m.a", "a", 1))
    listener(TaskSucceeded("run-1", 1767225602.0, "m.a", "a", 1.0, 1))
    listener(TaskStarted("run-1", 1767225603.0, "m.b", "b", 1))
    listener(TaskStarted("run-1", 1767225603.0, "m.c", "c", 1))
    listener(RunFinished("run-1", 1767225604.0, "interrupted", 4.0, {"succeeded": 1}))
    events = read_events(events_file)
    assert summary(events) == [
        ("START", "adhoc"),
        ("START", "adhoc.m.a"),
        ("COMPLETE", "adhoc.m.a"),
        ("START", "adhoc.m.b"),
        ("START", "adhoc.m.c"),
        ("ABORT", "adhoc.m.b"),
        ("ABORT", "adhoc.m.c"),
        ("ABORT", "adhoc"),
    ]
    for event in events:
        validate(event)
    assert events[0]["eventTime"] == "2026-01-01T00:00:00.000Z"
    # Without the live pipeline, the run's own event still names the datasets by storage.
    assert [(d["namespace"], d["name"]) for d in events[1]["outputs"]] == [
        ("file", f"{workdir.resolve()}/data/raw")
    ]


SLEEPY = """\
import time

from glacier import Dataset, Pipeline, task

a = Dataset("a")
b = Dataset("b")


@task
def first() -> a:
    return 1


@task
def slow(x: a) -> b:
    time.sleep(60)
    return x


sleepy = Pipeline([first, slow], name="sleepy")
"""


def test_ctrl_c_aborts_the_running_task_and_the_run(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import signal
    import subprocess
    import sys
    import time

    events_file = file_transport(workdir, monkeypatch)
    (workdir / "sleepy.py").write_text(SLEEPY)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    process = subprocess.Popen(
        [sys.executable, "-m", "glacier", "run", "sleepy.py"],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if events_file.exists() and "sleepy.sleepy.slow" in events_file.read_text():
                break
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, output
    events = read_events(events_file)
    assert summary(events) == [
        ("START", "sleepy"),
        ("START", "sleepy.sleepy.first"),
        ("COMPLETE", "sleepy.sleepy.first"),
        ("START", "sleepy.sleepy.slow"),
        ("ABORT", "sleepy.sleepy.slow"),
        ("ABORT", "sleepy"),
    ]
    for event in events:
        validate(event)
