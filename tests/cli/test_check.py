"""`glacier check`: exit codes, output formats, configuration and the cache."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from glacier.cli import main
from glacier.rules import RULES

BROKEN = """\
from glacier import Dataset, Pipeline, task

raw = Dataset("raw")
clean = Dataset("clean")
legacy = Dataset("legacy")


@task
def tidy(x: raw) -> clean: ...


pipeline = Pipeline([tidy], name="shop")
"""
CLEAN = (
    BROKEN.replace('raw = Dataset("raw")', 'raw = Dataset("raw", storage=S3(bucket="b"))')
    .replace('legacy = Dataset("legacy")\n', "")
    .replace(
        "from glacier import Dataset, Pipeline, task",
        "from glacier import Dataset, Pipeline, task\nfrom glacier.storage import S3",
    )
)


def run(cwd: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        code = main(["check", *args])
    finally:
        os.chdir(old)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.glacier]\n")
    (tmp_path / "flow.py").write_text(BROKEN)
    return tmp_path


def test_exit_codes(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(project, "--no-cache", capsys=capsys)[0] == 1
    (project / "flow.py").write_text(CLEAN)
    code, out, _ = run(project, "--no-cache", capsys=capsys)
    assert (code, out.strip()) == (0, "All checks passed!")
    assert run(project, "missing.py", capsys=capsys)[0] == 2
    assert run(project, "--output-format", "xml", capsys=capsys)[0] == 2
    (project / "pyproject.toml").write_text("[tool.glacier]\nselect = ['GLC999']\n")
    code, _, err = run(project, capsys=capsys)
    assert code == 2 and "unknown rule `GLC999`" in err


def test_warnings_only_exit_zero(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(project, "--no-cache", "--ignore", "GLC002", capsys=capsys)
    assert code == 0
    assert out.strip().endswith("Found 0 errors, 1 warning.")


def test_text_output_has_source_and_caret(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(project, "--no-cache", capsys=capsys)
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if " GLC002 " in line)
    assert lines[header].startswith("flow.py:12:12: GLC002 Dataset `raw` is consumed by `tidy`")
    assert lines[header + 2] == '12 | pipeline = Pipeline([tidy], name="shop")'
    assert lines[header + 3] == "   |            ^^^^^^^^^"
    assert "  = note: flow.py:9:1: `tidy` consumes `raw`" in lines
    assert lines[-1] == "Found 1 error, 1 warning."
    assert "\x1b[" not in out
    _, colored, _ = run(project, "--no-cache", "--color", "always", capsys=capsys)
    assert "\x1b[" in colored


def test_json_shape(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(project, "--no-cache", "--output-format", "json", capsys=capsys)
    data = json.loads(out)
    assert data == [
        {
            "code": "GLC008",
            "name": "unused-dataset",
            "severity": "warning",
            "message": "Dataset `legacy` is declared but no task produces or consumes it",
            "filename": "flow.py",
            "location": {"row": 5, "column": 10},
            "end_location": {"row": 5, "column": 27},
        },
        {
            "code": "GLC002",
            "name": "missing-producer",
            "severity": "error",
            "message": "Dataset `raw` is consumed by `tidy` but no task in pipeline `shop` "
            "produces it",
            "filename": "flow.py",
            "location": {"row": 12, "column": 12},
            "end_location": {"row": 12, "column": 21},
            "related": [
                {
                    "filename": "flow.py",
                    "location": {"row": 9, "column": 1},
                    "message": "`tidy` consumes `raw`",
                }
            ],
        },
    ]


def test_sarif_validates_against_the_schema(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(project, "--no-cache", "--output-format", "sarif", capsys=capsys)
    data = json.loads(out)
    schema = json.loads((Path(__file__).parent / "sarif-2.1.0-subset.schema.json").read_text())
    jsonschema.validate(data, schema, format_checker=jsonschema.FormatChecker())
    results = data["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["GLC008", "GLC002"]
    assert results[1]["locations"][0]["physicalLocation"]["region"]["startLine"] == 12
    assert results[1]["relatedLocations"][0]["message"]["text"] == "`tidy` consumes `raw`"


def test_github_format(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(project, "--no-cache", "--output-format", "github", capsys=capsys)
    lines = out.splitlines()
    assert lines == [
        "::warning file=flow.py,line=5,col=10,endLine=5,endColumn=27,title=GLC008 unused-dataset"
        "::Dataset `legacy` is declared but no task produces or consumes it",
        "::error file=flow.py,line=12,col=12,endLine=12,endColumn=21,title=GLC002 missing-producer"
        "::Dataset `raw` is consumed by `tidy` but no task in pipeline `shop` produces it",
    ]
    pattern = re.compile(
        r"^::(error|warning|notice) file=[^,]+,line=\d+,col=\d+,endLine=\d+,"
        r"endColumn=\d+,title=GLC\d{3} [a-z-]+::.+$"
    )
    assert all(pattern.match(line) for line in lines)


def test_config_select_ignore_severity_suppression(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = project / "custom.toml"
    config.write_text('[tool.glacier]\nseverity = { "missing-producer" = "warning" }\n')
    code, out, _ = run(
        project, "--no-cache", "--config", str(config), "--output-format", "json", capsys=capsys
    )
    assert code == 0 and {d["severity"] for d in json.loads(out)} == {"warning"}
    _, out, _ = run(
        project, "--no-cache", "--select", "GLC008", "--output-format", "json", capsys=capsys
    )
    assert [d["code"] for d in json.loads(out)] == ["GLC008"]
    (project / "pyproject.toml").write_text('[tool.glacier]\nignore = ["unused-dataset"]\n')
    _, out, _ = run(project, "--no-cache", "--output-format", "json", capsys=capsys)
    assert [d["code"] for d in json.loads(out)] == ["GLC002"]
    (project / "flow.py").write_text(
        BROKEN.replace('name="shop")', 'name="shop")  # glacier: ignore[GLC002]')
    )
    assert run(project, "--no-cache", capsys=capsys)[0] == 0


def test_include_exclude(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "generated").mkdir()
    (project / "generated" / "bad.py").write_text("import glacier\ndef broken(:\n")
    assert run(project, "--no-cache", "--select", "GLC000", capsys=capsys)[0] == 1
    (project / "pyproject.toml").write_text('[tool.glacier]\nexclude = ["generated"]\n')
    assert run(project, "--no-cache", "--select", "GLC000", capsys=capsys)[0] == 0


def test_cache_hit_and_no_cache(project: Path, tmp_path: Path) -> None:
    from glacier.analysis.cache import FactsCache
    from glacier.analysis.engine import _Engine
    from glacier.config import Settings

    settings = Settings(root=project)
    user = tmp_path / "user-cache"
    first = _Engine(settings, FactsCache(project, base=user))
    first.load(str(project / "flow.py"), None)
    first.analyze()
    assert user.is_dir() and not (project / ".glacier_cache").exists()
    cache = FactsCache(project, base=user)
    second = _Engine(settings, cache)
    second.load(str(project / "flow.py"), None)
    assert second.analyze().diagnostics == first.analyze().diagnostics
    assert cache.hits == 1 and cache.misses == 0
    disabled = FactsCache(project / "elsewhere", enabled=False)
    third = _Engine(settings, disabled)
    third.load(str(project / "flow.py"), None)
    third.analyze()
    assert not (project / "elsewhere").exists()


def test_parallel_runs_share_the_cache_safely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = tmp_path / "user-cache"
    monkeypatch.setenv("GLACIER_CACHE_DIR", str(user))
    (tmp_path / "pyproject.toml").write_text("[tool.glacier]\n")
    for i in range(30):
        (tmp_path / f"flow_{i}.py").write_text(BROKEN.replace('"raw"', f'"raw_{i}"'))
    command = [sys.executable, "-m", "glacier", "check", "--output-format", "json", "."]
    runs = [
        subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, text=True) for _ in range(3)
    ]
    outputs = [json.loads(r.communicate(timeout=120)[0]) for r in runs]
    assert all(r.returncode == 1 for r in runs)
    assert outputs[0] == outputs[1] == outputs[2]
    assert len(outputs[0]) == 60
    again = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert json.loads(again.stdout) == outputs[0]
    leftovers = list(user.rglob(".tmp-*"))
    assert leftovers == []
    assert list(user.rglob("result.json")) and not (tmp_path / ".glacier_cache").exists()


def test_rule_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rule", "GLC002"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# missing-producer (GLC002)\n\nReport datasets")
    assert main(["rule", "--all"]) == 0
    assert capsys.readouterr().out.count("\n# ") == len(RULES) - 1
    assert main(["rule", "orphan-task", "--output-format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["code"] == "GLC009" and "## What it does" in data["explanation"]
    assert main(["rule", "GLC404"]) == 2


def test_internal_failure_is_a_message(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from glacier.analysis import engine

    def explode(data: bytes, memo: object = None) -> object:
        raise RuntimeError("boom")

    monkeypatch.delenv("GLACIER_STRICT", raising=False)
    monkeypatch.setattr(engine, "full_facts", explode)
    code, _, err = run(project, "--no-cache", capsys=capsys)
    assert "internal error: RuntimeError: boom" in err
    assert code == 2
    assert "Traceback" not in err


def test_whole_project_reports_the_files_and_their_importers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.glacier]\n")
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "datasets.py").write_text(
        'from glacier import Dataset\nraw = Dataset("raw")\nunused = Dataset("unused")\n'
    )
    (tmp_path / "shop" / "flow.py").write_text(
        "from glacier import Pipeline, task\nfrom shop.datasets import raw\n"
        "@task\ndef use(x: raw) -> None: ...\npipeline = Pipeline([use])\n"
    )
    (tmp_path / "other.py").write_text(BROKEN)
    code, out, _ = run(
        tmp_path,
        "--no-cache",
        "--whole-project",
        "--output-format",
        "json",
        "shop/datasets.py",
        capsys=capsys,
    )
    found = sorted((d["filename"], d["code"]) for d in json.loads(out))
    assert found == [("shop/datasets.py", "GLC008"), ("shop/flow.py", "GLC002")]
    assert code == 1
