"""`analyze_scope`: the project root and the part of it to report, for commands taking paths."""

from __future__ import annotations

from pathlib import Path

from glacier.analysis import analyze_scope
from glacier.analysis.discover import find_project_root, package_top
from glacier.config import load_settings
from tests.analysis.helpers import write_project

FILES = {
    "shop/__init__.py": "",
    "shop/datasets.py": """\
        from glacier import Dataset

        raw = Dataset("raw")
        clean = Dataset("clean")
        """,
    "shop/flow.py": """\
        from glacier import Pipeline, task

        from shop.datasets import clean, raw


        @task
        def tidy(rows: raw) -> clean: ...


        flow = Pipeline([tidy], name="flow")
        """,
}


def test_the_root_is_the_pyproject_folder_else_above_the_outermost_package(
    tmp_path: Path,
) -> None:
    plain = write_project(tmp_path / "plain", FILES)
    flow = plain / "shop" / "flow.py"
    assert package_top(flow) == plain
    assert package_top(plain / "shop") == plain
    assert find_project_root([flow], load_settings(flow)) == plain
    configured = write_project(tmp_path / "configured", {**FILES, "pyproject.toml": ""})
    settings = load_settings(configured / "shop" / "flow.py")
    assert settings.config_file == configured / "pyproject.toml"
    assert find_project_root([configured / "shop"], settings) == configured


def test_one_file_is_analysed_with_its_project_and_reported_alone(tmp_path: Path) -> None:
    root = write_project(tmp_path, FILES)
    scope = analyze_scope([root / "shop" / "flow.py"], cache=False)
    assert scope.root == root
    assert scope.named == (str(root / "shop" / "flow.py"),)
    assert len(scope.result.files) == 3  # the whole project
    # tidy's datasets resolve through the import: no GLC004, only the true missing producer.
    assert [d.code for d in scope.diagnostics()] == ["GLC002"]
    project = scope.project()
    assert [p.name for p in project.pipelines] == ["flow"]
    assert [t.id for t in project.tasks] == ["shop.flow.tidy"]
    assert [d.name for d in project.datasets] == ["raw", "clean"]
    alone = analyze_scope([root / "shop" / "datasets.py"], cache=False)
    assert alone.project().pipelines == () and alone.project().tasks == ()
    assert [d.name for d in alone.project().datasets] == ["raw", "clean"]
