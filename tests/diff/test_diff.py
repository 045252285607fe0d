"""`glacier diff` against real git repositories: what changed, from git objects only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from glacier.cli import main
from tests.diff.conftest import GitRepo

BASE = """\
from glacier import Dataset, Pipeline, compute, task
from glacier.storage import S3

raw = Dataset("raw", storage=S3(bucket="lake", prefix="raw/"))
clean = Dataset("clean", schema=dict)
left = Dataset("left")
right = Dataset("right")


@task(compute=compute.serverless(memory=512))
def tidy(data: raw) -> clean:
    return data


@task
def split_left(data: clean) -> left:
    return data


@task
def split_right(data: clean) -> right:
    return data


@task
def old_report(a: left) -> None:
    pass


nightly = Pipeline([tidy, split_left, split_right, old_report], name="nightly")
"""

HEAD = """\
from glacier import Dataset, Pipeline, compute, task
from glacier.storage import S3

raw = Dataset("raw", storage=S3(bucket="lake", prefix="raw/v2/"))
clean = Dataset("clean", schema=list)
left = Dataset("left")
right = Dataset("right")
summary = Dataset("summary")


@task(compute=compute.container(image="etl:1", cpu=2, memory=4096))
def tidy(data: raw) -> clean:
    return data


@task
def split_left(data: clean) -> left:
    return data


@task
def split_right(data: clean) -> right:
    return data


@task
def summarize(a: left, b: right) -> summary:
    return a


nightly = Pipeline([tidy, split_right, split_left, summarize], name="nightly")
"""


def run_json(*arguments: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, Any]:
    code = main(["diff", *arguments, "--format", "json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_reports_every_kind_of_change(repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    base = repo.commit({"shop/__init__.py": "", "shop/flow.py": BASE}, "base")
    head = repo.commit({"shop/flow.py": HEAD}, "head")
    code, diff = run_json("main~1", "main", capsys=capsys)
    assert code == 0
    assert diff["base"] == {"revision": "main~1", "commit": base}
    assert diff["head"] == {"revision": "main", "commit": head}
    assert diff["tasks"]["added"] == [
        {"name": "shop.flow.summarize", "filename": "shop/flow.py", "line": 27}
    ]
    assert [t["name"] for t in diff["tasks"]["removed"]] == ["shop.flow.old_report"]
    assert diff["tasks"]["changed"] == []
    assert [d["name"] for d in diff["datasets"]["added"]] == ["summary"]
    assert diff["datasets"]["removed"] == []
    assert diff["datasets"]["changed"] == [
        {"name": "clean", "changes": [{"field": "schema", "before": "dict", "after": "list"}]}
    ]
    assert diff["compute"] == [
        {
            "task": "shop.flow.tidy",
            "before": {"kind": "serverless", "memory": 512, "timeout": None},
            "after": {"kind": "container", "image": "etl:1", "cpu": 2, "memory": 4096},
        }
    ]
    [storage] = diff["storage"]
    assert storage["dataset"] == "raw"
    assert storage["before"]["uri"] == "s3://lake/raw/"
    assert storage["after"]["uri"] == "s3://lake/raw/v2/"

    [pipeline] = diff["pipelines"]
    assert pipeline["pipeline"] == "nightly"
    assert pipeline["status"] == "changed"
    assert pipeline["tasks_added"] == ["shop.flow.summarize"]
    assert pipeline["tasks_removed"] == ["shop.flow.old_report"]
    assert pipeline["edges_added"] == [
        {"source": "shop.flow.split_left", "target": "shop.flow.summarize", "dataset": "left"},
        {"source": "shop.flow.split_right", "target": "shop.flow.summarize", "dataset": "right"},
    ]
    assert pipeline["edges_removed"] == [
        {"source": "shop.flow.split_left", "target": "shop.flow.old_report", "dataset": "left"}
    ]
    # split_left and split_right are independent: the list order breaks the tie.
    assert pipeline["order_changed"] is True
    assert pipeline["order_before"][:3] == [
        "shop.flow.tidy",
        "shop.flow.split_left",
        "shop.flow.split_right",
    ]
    assert pipeline["order_after"][:3] == [
        "shop.flow.tidy",
        "shop.flow.split_right",
        "shop.flow.split_left",
    ]
    # The head consumes `right` in a new task: nothing new to report; `unused` warnings fixed.
    assert diff["diagnostics"]["new"] == []
    assert diff["syntax_errors"] == {"base": [], "head": []}


def test_text_and_markdown_name_the_changes(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.commit({"shop/__init__.py": "", "shop/flow.py": BASE}, "base")
    repo.commit({"shop/flow.py": HEAD}, "head")
    assert main(["diff", "HEAD~1", "HEAD"]) == 0
    text = capsys.readouterr().out
    assert "+ shop.flow.summarize  shop/flow.py:27" in text
    assert "- shop.flow.old_report  shop/flow.py:26" in text
    assert "~ shop.flow.tidy: serverless · 512 MB -> container · etl:1 · 2 CPU · 4 GB" in text
    assert "~ raw: s3://lake/raw/ -> s3://lake/raw/v2/" in text
    assert "~ nightly: +1 task, -1 task, +2 edges, -1 edge, order changed" in text

    assert main(["diff", "HEAD~1", "HEAD", "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("<!-- glacier-diff -->\n### Glacier: pipeline changes\n")
    assert "**1** task added · **1** task removed · **1** dataset added" in markdown
    assert (
        "| `shop.flow.tidy` | serverless · 512 MB | container · etl:1 · 2 CPU · 4 GB |" in markdown
    )
    assert "| `raw` | `s3://lake/raw/` | `s3://lake/raw/v2/` |" in markdown
    assert "- **nightly** (changed): +1 task, -1 task, +2 edges, -1 edge, order changed" in markdown


def test_without_head_compares_with_the_working_tree_and_changes_nothing(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.commit({"shop/__init__.py": "", "shop/flow.py": BASE}, "base")
    repo.commit({"shop/flow.py": HEAD}, "head")
    (repo.root / "shop" / "flow.py").write_text(HEAD.replace("cpu=2", "cpu=4"))
    status = repo.git("status", "--porcelain=v1", "--untracked-files=all")
    index = (repo.root / ".git" / "index").read_bytes()
    head = repo.git("rev-parse", "HEAD")

    code, diff = run_json("HEAD", capsys=capsys)
    assert code == 0
    assert diff["head"] == {"revision": "working tree", "commit": None}
    assert [c["after"]["cpu"] for c in diff["compute"]] == [4]

    # Reading an older revision leaves the work tree, the index and HEAD as they were.
    code, diff = run_json("HEAD~1", capsys=capsys)
    assert code == 0
    assert diff["tasks"]["added"][0]["name"] == "shop.flow.summarize"
    assert (repo.root / "shop" / "flow.py").read_text() == HEAD.replace("cpu=2", "cpu=4")
    assert repo.git("status", "--porcelain=v1", "--untracked-files=all") == status
    assert (repo.root / ".git" / "index").read_bytes() == index
    assert repo.git("rev-parse", "HEAD") == head


def test_a_syntax_error_in_head_is_reported_not_fatal(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.commit({"flow.py": BASE, "other.py": "x = 1\n"}, "base")
    repo.commit({"other.py": "from glacier import task\n\ndef broken(:\n"}, "broken")
    code = main(["diff", "HEAD~1", "HEAD"])
    text = capsys.readouterr().out
    assert code == 1  # the head adds an error
    assert "syntax error in head: other.py:3:" in text
    assert "GLC000 [syntax-error]" in text

    code, diff = run_json("HEAD~1", "HEAD", capsys=capsys)
    assert code == 1
    [error] = diff["syntax_errors"]["head"]
    assert (error["code"], error["filename"]) == ("GLC000", "other.py")
    assert diff["syntax_errors"]["base"] == []
    # The rest of the project is still compared: the pipeline did not change.
    assert diff["pipelines"] == []
    assert [d["code"] for d in diff["diagnostics"]["new"]] == ["GLC000"]


def test_a_syntax_error_in_base_is_reported_and_fixed(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.commit({"flow.py": "from glacier import task\n\ndef broken(:\n"}, "broken")
    repo.commit({"flow.py": BASE}, "fixed")
    code, diff = run_json("HEAD~1", "HEAD", capsys=capsys)
    assert code == 0
    assert [e["code"] for e in diff["syntax_errors"]["base"]] == ["GLC000"]
    assert [d["code"] for d in diff["diagnostics"]["fixed"]] == ["GLC000"]
    assert len(diff["tasks"]["added"]) == 4
    assert diff["pipelines"][0]["status"] == "added"


def test_new_error_diagnostics_fail_with_exit_code_1(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.commit({"flow.py": BASE}, "base")
    broken = BASE.replace("[tidy, split_left,", "[split_left,")
    repo.commit({"flow.py": broken}, "drop the producer")
    code, diff = run_json("HEAD~1", "HEAD", capsys=capsys)
    assert code == 1
    orphan, new = diff["diagnostics"]["new"]
    assert orphan["code"] == "GLC009"  # a warning, which alone would not fail
    assert (new["code"], new["name"], new["severity"]) == ("GLC002", "missing-producer", "error")
    assert new["filename"] == "flow.py"
    assert "clean" in new["message"]


def test_paths_limit_the_analysis_and_a_path_can_follow_base(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.commit({"a/flow.py": BASE, "b/flow.py": BASE}, "base")
    repo.write({"a/flow.py": HEAD, "b/flow.py": HEAD})
    code, diff = run_json("HEAD", "a", capsys=capsys)  # `a` is no revision: a path
    assert code == 0
    assert [t["name"] for t in diff["tasks"]["added"]] == ["flow.summarize"]
    assert diff["tasks"]["added"][0]["filename"] == "a/flow.py"
    os_cwd = Path.cwd()
    try:
        import os

        os.chdir(repo.root / "b")
        code, diff = run_json("HEAD", capsys=capsys)  # default: the current directory
        assert diff["tasks"]["added"][0]["filename"] == "b/flow.py"
    finally:
        os.chdir(os_cwd)


def test_no_changes(repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.commit({"flow.py": BASE}, "base")
    repo.commit({"README.md": "hello\n"}, "docs only")
    assert main(["diff", "HEAD~1", "HEAD"]) == 0
    assert capsys.readouterr().out.endswith("no pipeline changes\n")
    assert main(["diff", "HEAD~1", "HEAD", "--format", "markdown"]) == 0
    assert "No changes to tasks" in capsys.readouterr().out


def test_usage_errors_say_what_to_do(
    repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.commit({"flow.py": BASE}, "base")
    assert main(["diff", "no-such-branch"]) == 2
    err = capsys.readouterr().err
    assert "unknown revision `no-such-branch`" in err
    assert "Traceback" not in err
    assert main(["diff", "HEAD", str(tmp_path)]) == 2
    assert "outside the repository" in capsys.readouterr().err

    import os

    outside = tmp_path / "plain"
    outside.mkdir()
    os.chdir(outside)
    assert main(["diff", "HEAD"]) == 2
    assert "not inside a git repository" in capsys.readouterr().err


def test_outputs_are_deterministic(repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.commit({"shop/__init__.py": "", "shop/flow.py": BASE}, "base")
    repo.commit({"shop/flow.py": HEAD}, "head")
    for format_ in ("text", "markdown", "json", "svg"):
        outputs = []
        for _ in range(2):
            assert main(["diff", "HEAD~1", "HEAD", "--format", format_]) == 0
            outputs.append(capsys.readouterr().out)
        assert outputs[0] == outputs[1], format_
        assert "/tmp" not in outputs[0] and "glacier-diff-" not in outputs[0], format_


def test_svg_marks_added_removed_and_changed_parts(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.commit({"shop/__init__.py": "", "shop/flow.py": BASE}, "base")
    repo.commit({"shop/flow.py": HEAD}, "head")
    out = repo.root / "changes.svg"
    assert main(["diff", "HEAD~1", "HEAD", "--format", "svg", "-o", str(out)]) == 0
    svg = out.read_text()
    assert svg.startswith("<?xml")
    assert 'id="task:shop.flow.summarize" class="node task none added"' in svg
    assert 'id="task:shop.flow.old_report" class="node task none removed"' in svg
    assert 'id="task:shop.flow.tidy" class="node task container changed"' in svg
    assert 'id="dataset:summary" class="node dataset output added"' in svg
    assert 'class="edge added"' in svg and 'class="edge removed"' in svg
    assert "compute: serverless · 512 MB &#45;&gt; container" in svg


def test_pipelines_with_the_same_variable_are_matched_by_file_not_line(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = BASE.replace(', name="nightly")', ")").replace("nightly = ", "pipeline = ")
    repo.commit({"a.py": plain, "b.py": plain}, "base")
    repo.commit({"a.py": "\n\n\n" + plain}, "lines moved")
    code, diff = run_json("HEAD~1", "HEAD", capsys=capsys)
    assert code == 0
    assert diff["pipelines"] == []
    repo.commit({"b.py": plain.replace("[tidy, split_left, split_right, old_report]", "[tidy]")})
    code, diff = run_json("HEAD~1", "HEAD", capsys=capsys)
    assert [(p["pipeline"], p["status"]) for p in diff["pipelines"]] == [
        ("pipeline (b.py)", "changed")
    ]
