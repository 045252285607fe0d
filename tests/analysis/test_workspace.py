"""The incremental `Workspace` used by the language server."""

from __future__ import annotations

import time
from pathlib import Path

from glacier.analysis import Workspace
from glacier.config import Settings
from tests.analysis.helpers import write_project

FLOW = """from glacier import Dataset, Pipeline, task

raw = Dataset("raw")
clean = Dataset("clean")


@task
def extract() -> raw: ...


@task
def tidy(x: raw) -> clean: ...


pipeline = Pipeline([extract, tidy])
"""


def _workspace(tmp_path: Path) -> Workspace:
    write_project(tmp_path, {"flow.py": FLOW, "plain.py": "x = 1\n"})
    workspace = Workspace(tmp_path, Settings(root=tmp_path))
    calls: list[tuple[int, int]] = []
    workspace.index(lambda done, total: calls.append((done, total)))
    assert calls[-1] == (2, 2)
    return workspace


def test_overlay_and_back(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    flow = tmp_path / "flow.py"
    assert workspace.analyze().diagnostics == ()
    workspace.set_overlay(flow, FLOW.replace("[extract, tidy]", "[tidy]"))
    result = workspace.analyze()
    assert sorted(d.code for d in result.diagnostics_for(flow)) == ["GLC002", "GLC009"]
    workspace.set_overlay(flow, None)
    assert workspace.analyze().diagnostics == ()


def test_syntax_error_keeps_last_good_facts(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    flow = tmp_path / "flow.py"
    workspace.analyze()
    workspace.set_overlay(flow, FLOW + "\ndef half(:\n")
    result = workspace.analyze()
    assert [d.code for d in result.diagnostics] == ["GLC000"]
    assert {t.name for t in result.project.tasks} == {"extract", "tidy"}
    assert any(r.target == "flow.tidy" for r in result.references)


def test_files_created_changed_deleted(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    other = tmp_path / "other.py"
    other.write_text('from glacier import Dataset\nextra = Dataset("extra")\n')
    workspace.file_changed(other)
    assert [d.code for d in workspace.analyze().diagnostics] == ["GLC008"]
    other.unlink()
    workspace.file_changed(other)
    assert workspace.analyze().diagnostics == ()


def test_plain_module_becomes_relevant(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    plain = tmp_path / "plain.py"
    workspace.set_overlay(plain, "from flow import raw as alias\n")
    result = workspace.analyze()
    assert any(r.role == "variable" and r.span.filename == str(plain) for r in result.references)


def test_incremental_analysis_is_fast(tmp_path: Path) -> None:
    files = {
        f"pkg/m{i}.py": f"from glacier import Dataset\nd{i} = Dataset('d{i}')\n" for i in range(100)
    }
    files["pkg/__init__.py"] = ""
    body = "\n".join(f"from pkg.m{i} import d{i}" for i in range(100))
    tasks = "\n".join(f"@task\ndef t{i}(x: d{i}) -> d{i + 1}:\n    return x\n" for i in range(99))
    files["pkg/flow.py"] = f"from glacier import Pipeline, task\n{body}\n{tasks}\n"
    write_project(tmp_path, files)
    workspace = Workspace(tmp_path, Settings(root=tmp_path))
    workspace.index()
    workspace.analyze()
    flow = tmp_path / "pkg" / "flow.py"
    text = flow.read_text()
    start = time.perf_counter()
    for n in range(5):
        workspace.set_overlay(flow, text + f"\n# edit {n}\n")
        workspace.analyze()
    elapsed = (time.perf_counter() - start) / 5
    assert elapsed < 1.0  # generous: a smoke check, the benchmark measures it
