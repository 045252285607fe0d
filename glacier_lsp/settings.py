"""Editor settings (section ``glacier``) on top of ``[tool.glacier]``.

The client may send ``{"select": [...], "ignore": [...], "severity": {"GLC008": "error"}}`` as
``initializationOptions.settings``, answer ``workspace/configuration`` for section ``glacier``,
or include it in ``workspace/didChangeConfiguration``. Empty or missing values keep what
``pyproject.toml`` says.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from glacier.config import ConfigError, Settings, load_settings
from glacier.rules import Severity

KEYS = ("select", "ignore", "severity")


def from_initialization_options(options: Any) -> dict[str, Any]:
    """The ``settings`` object of ``initializationOptions`` (or the options themselves)."""
    if not isinstance(options, dict):
        return {}
    settings = options.get("settings", options)
    if isinstance(settings, list):  # one entry per workspace folder: take the first
        settings = settings[0] if settings else {}
    return _clean(settings)


def from_notification(settings: Any) -> dict[str, Any] | None:
    """The ``glacier`` section pushed in ``didChangeConfiguration``, if the client sent one."""
    if isinstance(settings, dict) and isinstance(settings.get("glacier"), dict):
        return _clean(settings["glacier"])
    return None


def _clean(settings: Any) -> dict[str, Any]:
    if not isinstance(settings, dict):
        return {}
    return {key: settings[key] for key in KEYS if settings.get(key)}


def build(root: Path, client: dict[str, Any], log: Callable[[str], None]) -> Settings:
    """``[tool.glacier]`` of ``root`` with the client's non-empty settings on top.

    Invalid configuration is reported through ``log`` and skipped, never fatal.
    """
    try:
        base = load_settings(root)
    except ConfigError as error:
        log(f"Ignoring [tool.glacier]: {error}")
        base = Settings(root=root.resolve())
    overrides = _clean(client)
    if not overrides:
        return base
    try:
        return base.with_overrides(
            select=_codes(overrides.get("select")),
            ignore=_codes(overrides.get("ignore")),
            severity=_severities(overrides.get("severity")),
        )
    except (ConfigError, ValueError) as error:
        log(f"Ignoring the editor's glacier settings: {error}")
        return base


def _codes(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(item) for item in value]
    return None


def _severities(value: Any) -> dict[str, Severity] | None:
    if not isinstance(value, dict):
        return None
    return {str(code): Severity(str(level).lower()) for code, level in value.items()}
