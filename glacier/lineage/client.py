"""The OpenLineage client, configured the OpenLineage way, and only when configured.

Configured means: ``OPENLINEAGE_URL`` is set, an ``OPENLINEAGE__TRANSPORT__...`` variable is
set, or an ``openlineage.yml`` exists where the client looks for one (``OPENLINEAGE_CONFIG``, the
current directory, ``~/.openlineage/``). ``OPENLINEAGE_DISABLED=true`` turns it off. Without
configuration Glacier sends nothing (the client itself would fall back to printing events).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from glacier.lineage.mapping import MISSING_EXTRA, LineageUnavailableError

if TYPE_CHECKING:
    from openlineage.client import OpenLineageClient


def config_file(environ: Mapping[str, str] | None = None) -> Path | None:
    """The ``openlineage.yml`` the client would read, if any."""
    env = os.environ if environ is None else environ
    candidates = [
        env.get("OPENLINEAGE_CONFIG"),
        str(Path.cwd() / "openlineage.yml"),
        str(Path("~/.openlineage/openlineage.yml").expanduser()),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def lineage_configured(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the user configured OpenLineage (and did not disable it)."""
    env = os.environ if environ is None else environ
    if env.get("OPENLINEAGE_DISABLED", "").strip().lower() == "true":
        return False
    if env.get("OPENLINEAGE_URL"):
        return True
    if any(key.startswith("OPENLINEAGE__TRANSPORT") for key in env):
        return True
    return config_file(env) is not None


def configured_client() -> OpenLineageClient | None:
    """A client from the standard configuration, or ``None`` when lineage is not configured.

    Raises:
        LineageUnavailableError: configured, but ``openlineage-python`` is not installed.
    """
    if not lineage_configured():
        return None
    try:
        from openlineage.client import OpenLineageClient
    except ImportError:  # pragma: no cover - the extra is installed in development
        raise LineageUnavailableError(MISSING_EXTRA) from None
    return OpenLineageClient()
