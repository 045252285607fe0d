"""The name Glacier is installed by (`glacier` on PyPI is another project)."""

DISTRIBUTION = "glacier-pipelines"


def install_hint(extra: str) -> str:
    """The command that installs one of Glacier's extras."""
    return f"pip install '{DISTRIBUTION}[{extra}]'"
