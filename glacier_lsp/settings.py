"""Editor settings (section ``glacier``) on top of ``[tool.glacier]``.

The client may send ``{"select": [...], "ignore": [...], "severity": {"GLC008": "error"}}`` as
``initializationOptions.settings``, answer ``workspace/configuration`` for section ``glacier``,
or include it in ``workspace/didChangeConfiguration``. Empty or missing values keep what
``pyproject.toml`` says. Rules are codes, code prefixes (``GLC0``), names or ``ALL``, as in
``[tool.glacier]``; an invalid value is skipped with one visible warning.
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


class WarnOnce:
    """Shows each distinct settings problem once (``window/showMessage``), not on every change.

    The server passes ``WarnOnce(show)`` as `build`'s ``warn``; a problem that goes away and
    comes back is shown again.
    """

    def __init__(self, show: Callable[[str], None]) -> None:
        self.show = show
        self.shown: set[str] = set()

    def __call__(self, problems: list[str]) -> None:
        fresh = [p for p in problems if p not in self.shown]
        self.shown = set(problems)
        if fresh:
            self.show("Glacier: " + "; ".join(fresh))


def build(
    root: Path,
    client: dict[str, Any],
    log: Callable[[str], None],
    warn: Callable[[list[str]], None] | None = None,
) -> Settings:
    """``[tool.glacier]`` of ``root`` with the client's non-empty settings on top.

    Invalid configuration is never fatal: it is skipped, logged through ``log`` and, when
    ``warn`` is given, reported to the user through it (one call with every problem, so
    that the editor shows one visible warning).
    """
    problems: list[str] = []
    try:
        base = load_settings(root)
    except ConfigError as error:
        problems.append(f"ignoring [tool.glacier]: {error}")
        base = Settings(root=root.resolve())
    settings = base
    for key, value in _clean(client).items():
        try:
            if key == "severity":
                settings = settings.with_overrides(severity=_severities(value))
            elif key == "select":
                settings = settings.with_overrides(select=_codes(value, key))
            else:
                settings = settings.with_overrides(ignore=_codes(value, key))
        except (ConfigError, ValueError) as error:
            problems.append(f"ignoring the editor setting glacier.{key}: {error}")
    for problem in problems:
        log(problem[0].upper() + problem[1:])
    if warn is not None:
        warn(problems)
    return settings


def _codes(value: Any, key: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(item) for item in value]
    raise ConfigError(f"glacier.{key} must be a list of rule codes, got {value!r}")


def _severities(value: Any) -> dict[str, Severity]:
    if not isinstance(value, dict):
        raise ConfigError(f"glacier.severity must be an object of rule: severity, got {value!r}")
    levels = ", ".join(s.value for s in Severity)
    result: dict[str, Severity] = {}
    for code, level in value.items():
        try:
            result[str(code)] = Severity(str(level).lower())
        except ValueError:
            raise ConfigError(
                f"the severity of `{code}` must be one of {levels}, got {level!r}"
            ) from None
    return result
