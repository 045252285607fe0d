"""What every new `Pipeline` calls: cheap when OpenLineage is not configured.

Configured means: ``OPENLINEAGE_URL`` is set, an ``OPENLINEAGE__TRANSPORT__...`` variable is
set, or an ``openlineage.yml`` exists where the client looks for one (``OPENLINEAGE_CONFIG``, the
current directory, ``~/.openlineage/``). ``OPENLINEAGE_DISABLED=true`` turns it off.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from glacier.runtime.pipeline import Pipeline

#: Pipelines created while lineage was configured: the listener finds a run's pipeline here.
pipelines: weakref.WeakSet[Pipeline] = weakref.WeakSet()


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


def pipeline_created(pipeline: Pipeline) -> None:
    """Called by every new `Pipeline`: when lineage is configured, follow its runs."""
    if not lineage_configured():
        return
    pipelines.add(pipeline)
    from glacier.lineage.listener import install

    install()
