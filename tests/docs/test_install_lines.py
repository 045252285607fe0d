"""Every install line users can copy names this project's distribution, never ``glacier``.

``glacier`` on the package index is someone else's project; ours is published under the name
in ``pyproject.toml`` and imports as ``glacier``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted(
    [
        REPO / "README.md",
        REPO / "vscode-extension" / "README.md",
        *(REPO / "docs").glob("*.md"),
    ]
)
#: Packages a documented install line may name besides ours (a user's own project is ``.``).
#: Other tools that install lines may name: mypy, pre-commit, and the installer the generated
#: Dockerfiles use (uv) before the project's own locked requirements.
OTHERS = {"mypy", "pre-commit", "uv", "\\", "\\\\"}
_PIP = re.compile(r"pip\s+install\s+([^`\n]*)")


def distribution() -> tuple[str, set[str]]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return project["name"], set(project["optional-dependencies"])


def install_lines() -> list[tuple[str, str]]:
    found = []
    for document in DOCUMENTS:
        for line in document.read_text(encoding="utf-8").splitlines():
            for match in _PIP.finditer(line):
                found.append((f"{document.relative_to(REPO)}: {line.strip()}", match.group(1)))
    return found


def packages(arguments: str) -> list[str]:
    """The requirements ``pip install ARGUMENTS`` names (options and paths left out).

    The command ends at a closing quote, backtick, comma or parenthesis, or a comment.
    """
    taken: list[str] = []
    option_value = False
    for raw in arguments.split():
        if raw.startswith("#"):
            break
        word = raw.strip("\"'`(),")
        ends = raw.endswith(('"', "'", "`", ",", ")"))
        if option_value:
            option_value = False
        elif word in ("-e", "--editable", "--config-settings", "-r", "-c", "--target"):
            option_value = True
        elif word and not word.startswith(("-", ".", "/", "<")):
            taken.append(word)
        if ends:
            break
    return taken


def test_the_distribution_is_not_the_taken_name() -> None:
    name, extras = distribution()
    assert name == "glacier-pipelines"
    assert {"s3", "gcs", "azure", "mypy"} <= extras


def test_there_are_install_lines_to_check() -> None:
    assert len(install_lines()) >= 5


@pytest.mark.parametrize(("where", "arguments"), install_lines())
def test_every_install_line_names_the_project(where: str, arguments: str) -> None:
    name, extras = distribution()
    for requirement in packages(arguments):
        base, _, rest = requirement.partition("[")
        if base in OTHERS:
            continue
        assert base == name, f"{where}: installs `{requirement}`, not `{name}`"
        for extra in rest.rstrip("]").split(",") if rest else ():
            assert extra.strip() in extras, f"{where}: no extra `{extra}` in `{name}`"


def test_no_document_names_the_taken_distribution() -> None:
    taken = re.compile(r"(?<![\w.-])glacier\[")
    texts = [*DOCUMENTS, *(REPO / "vscode-extension" / "src").glob("*.ts")]
    offenders = [str(p.relative_to(REPO)) for p in texts if taken.search(p.read_text("utf-8"))]
    assert offenders == []


def test_the_extension_tells_users_to_install_the_project() -> None:
    name, _ = distribution()
    messages = (REPO / "vscode-extension" / "src" / "messages.ts").read_text(encoding="utf-8")
    assert f"'install', '{name}'" in messages
    assert not re.search(r"pip install glacier(?!-pipelines)", messages)


def test_messages_naming_an_extra_name_the_project() -> None:
    """Error messages of optional extras (``pip install '…[s3]'``) install this project."""
    name, _ = distribution()
    sources = [
        path
        for package in ("glacier", "glacier_lsp", "glacier_mypy")
        for path in sorted((REPO / package).rglob("*.py"))
    ]
    wrong = []
    for path in sources:
        for match in _PIP.finditer(path.read_text(encoding="utf-8")):
            for requirement in packages(match.group(1)):
                base = requirement.partition("[")[0]
                if base not in OTHERS and base != name and "{" not in base:
                    wrong.append(f"{path.relative_to(REPO)}: {requirement}")
    assert wrong == []
