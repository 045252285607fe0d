"""Bad input never crashes the analyzer, and nothing it reads is executed."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glacier.analysis import engine
from glacier.analysis.extract import extract
from tests.analysis.helpers import analyze, codes, write_project

VALID = """from glacier import Dataset, Pipeline, compute, task
from glacier.storage import S3

raw = Dataset("raw", storage=S3(bucket="lake"))
clean = Dataset("clean")
out = Dataset("out")


@task(compute=compute.container(image="spark:latest", cpu=2))
def tidy(x: raw, limit: int = 3) -> clean:
    return [r for r in x if r][:limit]


@task
def clean(x: raw) -> clean: ...


@task
def report(x: clean) -> out:
    return {"n": len(x)}


pipeline = Pipeline(tasks=[tidy, report], name="p")
"""


def test_nothing_is_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed.txt"
    write_project(
        tmp_path,
        {
            "evil.py": f"""
                from typing import TYPE_CHECKING
                from glacier import Dataset, Pipeline, task
                import helper_module
                open({str(marker)!r}, "w").write("ran")
                if TYPE_CHECKING:
                    open({str(marker)!r}, "w").write("ran")
                raw = Dataset("raw")
                @task
                def extract() -> raw: ...
                pipeline = Pipeline([extract])
                raise SystemExit(3)
            """,
            "helper_module.py": f"open({str(marker)!r}, 'w').write('ran')\nimport glacier\n",
        },
    )
    result = analyze(tmp_path)
    assert not marker.exists()
    assert codes(result) == []
    assert [t.id for t in result.project.tasks] == ["evil.extract"]


def test_one_syntax_error_hides_nothing_else(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        {
            "broken.py": "from glacier import task\n@task\ndef x(:\n",
            "good.py": VALID.replace(
                'raw = Dataset("raw", storage=S3(bucket="lake"))', 'raw = Dataset("raw")'
            ),
        },
    )
    assert ("GLC000", "broken.py", 3) in {
        (d.code, Path(d.span.filename).name, d.span.line) for d in result.diagnostics
    }
    assert "GLC002" in codes(result)


def test_encodings(tmp_path: Path) -> None:
    latin = "# -*- coding: latin-1 -*-\nfrom glacier import Dataset\nd = Dataset('caf\xe9')\n"
    (tmp_path / "latin.py").write_bytes(latin.encode("latin-1"))
    (tmp_path / "bad.py").write_bytes(b"from glacier import Dataset\nx = '\xff\xfe'\n")
    (tmp_path / "bom.py").write_bytes(
        "\ufefffrom glacier import Dataset\nb = Dataset('b')\n".encode()
    )
    result = analyze(tmp_path)
    assert {d.name for d in result.project.datasets} == {"caf\xe9", "b"}
    assert ("GLC000", "bad.py") in {
        (d.code, Path(d.span.filename).name) for d in result.diagnostics
    }


def test_deep_nesting_and_huge_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deep = "import glacier\nx = " + "(" * 5000 + "1" + ")" * 5000 + "\n"
    long_list = "import glacier\nx = [" + "[" * 150 + "]" * 150 + "]\n"
    monkeypatch.setattr(engine, "MAX_BYTES", 20_000)
    result = analyze(
        tmp_path,
        {"deep.py": deep, "nested.py": long_list, "huge.py": "import glacier\n" + "x = 1\n" * 5000},
    )
    found = {(Path(d.span.filename).name, d.code) for d in result.diagnostics}
    assert ("deep.py", "GLC000") in found
    assert ("huge.py", "GLC011") in found


def test_symlink_loops_and_skipped_directories(tmp_path: Path) -> None:
    write_project(
        tmp_path, {"pkg/flow.py": "import glacier\n", ".venv/lib/x.py": "import glacier\n"}
    )
    (tmp_path / "pkg" / "loop").symlink_to(tmp_path / "pkg")
    (tmp_path / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    (tmp_path / "env2").mkdir()
    (tmp_path / "env2" / "pyvenv.cfg").write_text("")
    (tmp_path / "env2" / "y.py").write_text("import glacier\n")
    result = analyze(tmp_path)
    names = sorted(p.relative_to(tmp_path).as_posix() for p in result.files)
    assert names == ["pkg/flow.py"]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_mutations_never_raise(data: st.DataObject) -> None:
    lines = VALID.splitlines(keepends=True)
    text = VALID
    kind = data.draw(st.sampled_from(["delete", "truncate", "duplicate", "insert"]))
    if kind == "truncate":
        text = VALID[: data.draw(st.integers(0, len(VALID)))]
    elif kind == "duplicate":
        index = data.draw(st.integers(0, len(lines) - 1))
        text = "".join(lines[: index + 1] + lines[index:])
    elif kind == "delete":
        start = data.draw(st.integers(0, len(VALID) - 1))
        text = VALID[:start] + VALID[start + data.draw(st.integers(1, 12)) :]
    else:
        start = data.draw(st.integers(0, len(VALID)))
        junk = data.draw(
            st.sampled_from(["(", ")", ":", "def ", "@task", "'", "\\", "\t", "[", "\x00"])
        )
        text = VALID[:start] + junk + VALID[start:]
    facts = extract(text)
    from glacier.analysis.resolve import ModuleSource, Resolver

    Resolver([ModuleSource("m", "/m.py", facts, False)]).run()


def test_unreadable_files_become_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, {"a.py": VALID, "b.py": "import glacier\n"})
    real_open = open

    def fake_open(path: object, *args: object, **kwargs: object) -> object:
        if str(path).endswith("b.py"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", fake_open)
    result = analyze(tmp_path)
    assert any("b.py: cannot read the file: Permission denied" in f for f in result.failures)
    assert [p.name for p in result.project.pipelines] == ["p"]
