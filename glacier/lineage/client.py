"""The OpenLineage client, configured the OpenLineage way, and only when configured.

What counts as configured: `glacier.lineage.hook.lineage_configured`. Without configuration
Glacier sends nothing (the client itself would fall back to printing events).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glacier.lineage.hook import lineage_configured
from glacier.lineage.mapping import MISSING_EXTRA, LineageUnavailableError

if TYPE_CHECKING:
    from openlineage.client import OpenLineageClient


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
