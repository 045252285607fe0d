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


def test_incremental_results_equal_a_fresh_analysis(tmp_path: Path) -> None:
    from glacier.analysis import analyze_paths

    files = {
        "shop/__init__.py": "",
        "shop/datasets.py": 'from glacier import Dataset\nraw = Dataset("raw")\n'
        'clean = Dataset("clean")\nout = Dataset("out")\n',
        "shop/tasks.py": "from glacier import task\nfrom shop.datasets import raw, clean\n"
        "@task\ndef extract() -> raw: ...\n@task\ndef tidy(x: raw) -> clean: ...\n",
        "shop/flow.py": "from glacier import Pipeline\nfrom shop.tasks import extract, tidy\n"
        "pipeline = Pipeline([extract, tidy])\n",
        "other/solo.py": 'from glacier import Dataset\nalone = Dataset("alone")\n',
    }
    write_project(tmp_path, files)
    settings = Settings(root=tmp_path)
    workspace = Workspace(tmp_path, settings)
    workspace.index()
    edits = [
        ("shop/tasks.py", files["shop/tasks.py"] + "@task\ndef report(x: clean) -> out: ...\n"),
        (
            "shop/flow.py",
            files["shop/flow.py"]
            .replace("tidy])", "tidy, report])")
            .replace("import extract, tidy", "import extract, tidy, report"),
        ),
        ("shop/datasets.py", files["shop/datasets.py"].replace('"clean"', '"cleaned"')),
        ("shop/tasks.py", "from glacier import task\n@task\ndef broken(:\n"),
        ("shop/tasks.py", files["shop/tasks.py"]),
        ("other/solo.py", 'from glacier import Dataset\nalone = Dataset("raw")\n'),
    ]
    for relative, text in edits:
        (tmp_path / relative).write_text(text)
        workspace.file_changed(tmp_path / relative)
        incremental = workspace.analyze()
        fresh = analyze_paths([tmp_path], settings, cache=False)
        if "broken" in text:
            assert "GLC000" in [d.code for d in incremental.diagnostics]
            assert incremental.project.task("shop.tasks.tidy") is not None  # last good facts
            continue
        assert incremental.diagnostics == fresh.diagnostics
        assert incremental.project.to_dict() == fresh.project.to_dict()
