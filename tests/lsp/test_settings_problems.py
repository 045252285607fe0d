"""Editor settings: code prefixes as in ``[tool.glacier]``; invalid values warn once, visibly."""

from __future__ import annotations

from pathlib import Path

from glacier.config import load_settings
from glacier.rules import RULES
from glacier_lsp.settings import WarnOnce, build

ALL = tuple(rule.code for rule in RULES)


def test_code_prefixes_are_read_in_pyproject_and_in_the_editor(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.glacier]\nignore = ["GLC01"]\n')
    assert load_settings(tmp_path).ignore == tuple(c for c in ALL if c.startswith("GLC01"))
    logged: list[str] = []
    warned: list[list[str]] = []
    settings = build(tmp_path, {"select": ["GLC0"]}, logged.append, warned.append)
    assert settings.select == ALL
    settings = build(tmp_path, {"select": ["glc00"]}, logged.append, warned.append)
    assert settings.select == tuple(c for c in ALL if c.startswith("GLC00"))
    assert logged == [] and warned == [[], []]


def test_an_invalid_setting_is_skipped_with_one_warning(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.glacier]\nignore = ["GLC008"]\n')
    shown: list[str] = []
    warn = WarnOnce(shown.append)
    client = {"select": ["GLC9"], "ignore": ["GLC009"], "severity": {"GLC002": "loud"}}
    settings = build(tmp_path, client, lambda message: None, warn)
    assert settings.ignore == ("GLC009",)  # the valid setting still applies
    assert settings.select == ()
    assert len(shown) == 1
    assert "glacier.select" in shown[0] and "GLC9" in shown[0]
    assert "glacier.severity" in shown[0] and "loud" in shown[0]
    build(tmp_path, client, lambda message: None, warn)  # reconfigured, same problems
    assert len(shown) == 1
    build(tmp_path, {}, lambda message: None, warn)  # fixed
    build(tmp_path, client, lambda message: None, warn)  # broken again: said again
    assert len(shown) == 2


def test_an_invalid_pyproject_is_one_warning_too(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.glacier]\nselect = 3\n")
    shown: list[str] = []
    settings = build(tmp_path, {"select": 5}, lambda message: None, WarnOnce(shown.append))
    assert settings.select == ()
    assert len(shown) == 1
    assert "[tool.glacier]" in shown[0] and "glacier.select" in shown[0]
