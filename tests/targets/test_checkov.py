"""checkov (its own virtualenv: scripts/setup.d/checkov.sh) finds only what the docs explain."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from glacier.cli import main
from tests.compile.helpers import EXAMPLE, ROOT

CHECKOV = ROOT / ".tools" / "checkov-venv" / "bin" / "checkov"
DOCS = ROOT / "docs" / "deploy-aws.md"


@pytest.mark.slow
def test_checkov_finds_only_what_the_docs_explain(tmp_path: Path) -> None:
    assert CHECKOV.exists(), "run scripts/setup.d/checkov.sh to install checkov"
    infra = tmp_path / "infra"
    assert main(["compile", str(EXAMPLE), "--target", "aws", "--out", str(infra)]) == 0
    result = subprocess.run(
        [str(CHECKOV), "-d", str(infra), "--quiet", "--compact", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    reports = json.loads(result.stdout)
    failed = {
        check["check_id"] for report in reports for check in report["results"]["failed_checks"]
    }
    explained = set(re.findall(r"CKV2?_[A-Z]+_\d+", DOCS.read_text(encoding="utf-8")))
    assert failed - explained == set()
    assert {r["check_type"] for r in reports} == {"terraform_json", "dockerfile"}
    passed = sum(report["summary"]["passed"] for report in reports)
    assert passed > 200
    unparsed = re.findall(r"Failed to parse template: (\S+)", result.stderr)
    assert [Path(p).name for p in unparsed] in ([], ["versions.tf.json"])
