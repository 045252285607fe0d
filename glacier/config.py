"""``[tool.glacier]`` in ``pyproject.toml`` -> frozen `Settings`.

Keys: ``select``, ``ignore`` (rule codes, code prefixes such as ``GLC0``, names, or
``ALL``), ``severity`` (code or name -> error, warning, info, hint), ``include``/``exclude``
(glob patterns relative to the project root), ``src`` (roots for module names, relative to
the project root), ``validate`` (``"error"``, ``"warn"`` or ``"off"``: what a run does with a
value that does not match its dataset's schema), ``target`` (``"aws"`` or ``"kubernetes"``:
report that target's limits) and the target option tables ``[tool.glacier.aws]`` /
``[tool.glacier.kubernetes]`` (read by `glacier.targets`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

from glacier.rules import Severity, get_rule

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

#: Deployment targets with a ``[tool.glacier.<name>]`` options table.
_TARGETS = ("aws", "kubernetes")
_KEYS = (
    "select",
    "ignore",
    "severity",
    "include",
    "exclude",
    "src",
    "diagrams",
    "validate",
    "target",
    *_TARGETS,
)
_VALIDATE_MODES = ("error", "warn", "off")
_DIAGRAM_KEYS = ("output", "paths", "pipeline", "format", "datasets")
_DATASET_MODES = ("nodes", "edges", "auto")
#: A rule code or a prefix of one (``GLC``, ``GLC0``, ``GLC00``, ``GLC002``).
_PREFIX = re.compile(r"GLC\d{0,3}")


class ConfigError(ValueError):
    """The configuration is invalid; the message says where and why."""


@dataclass(frozen=True)
class Diagram:
    """A picture the project keeps up to date (``[[tool.glacier.diagrams]]``)."""

    #: Where the picture is written; its suffix chooses the format unless ``format`` is set.
    output: Path
    #: What to analyse (absolute); default: the project root.
    paths: tuple[Path, ...]
    #: One pipeline by name or variable; ``None`` draws them all.
    pipeline: str | None = None
    format: str | None = None
    datasets: Literal["nodes", "edges", "auto"] = "auto"


@dataclass(frozen=True)
class Settings:
    """How `glacier check` and the language server analyse a project."""

    #: Project root: the directory of the ``pyproject.toml``, else the current directory.
    root: Path
    #: Rule codes or names to report; empty means every rule.
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    #: Rule code -> severity override.
    severity: Mapping[str, Severity] = field(default_factory=dict)
    #: Glob patterns of files to analyse (empty: every ``*.py``).
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    #: Absolute roots that module names are derived from.
    src: tuple[Path, ...] = ()
    #: Pictures that ``glacier diagrams`` (the pre-commit hook) keeps up to date.
    diagrams: tuple[Diagram, ...] = ()
    #: The deployment target whose limits `glacier check` reports (``target = "aws"``).
    target: str | None = None
    #: Each target's ``[tool.glacier.<target>]`` table, validated by the target itself.
    target_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: The file these settings were read from (``None``: no ``pyproject.toml`` was found).
    config_file: Path | None = None
    #: What a run does with a value that does not match its dataset's schema.
    validate: Literal["error", "warn", "off"] = "error"

    def with_overrides(
        self,
        *,
        select: tuple[str, ...] | list[str] | None = None,
        ignore: tuple[str, ...] | list[str] | None = None,
        severity: Mapping[str, Severity] | None = None,
    ) -> Settings:
        """A copy with command-line overrides (validated like the file's values).

        Raises:
            ConfigError: if a rule is unknown.
        """
        changes: dict[str, Any] = {}
        if select is not None:
            changes["select"] = _codes(select, "--select")
        if ignore is not None:
            changes["ignore"] = _codes(ignore, "--ignore")
        if severity is not None:
            changes["severity"] = {**self.severity, **_severities(severity, "--severity")}
        return replace(self, **changes)

    def enabled(self, code: str) -> bool:
        """Whether diagnostics of rule ``code`` are reported."""
        if self.select and code not in self.select:
            return False
        return code not in self.ignore

    def severity_of(self, code: str, default: Severity) -> Severity:
        return self.severity.get(code, default)


def _codes(values: Any, where: str) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise ConfigError(f"{where} must be a list of rule codes or names, got {values!r}")
    codes: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: rule must be a string, got {value!r}")
        spelt = value.strip().upper()
        if spelt == "ALL":
            codes.extend(_all_codes())
            continue
        if _PREFIX.fullmatch(spelt):  # a code prefix, as ruff reads them: GLC, GLC0, GLC00
            matching = [code for code in _all_codes() if code.startswith(spelt)]
            if matching:
                codes.extend(matching)
                continue
        try:
            codes.append(get_rule(value).code)
        except KeyError:
            raise ConfigError(
                f"{where}: unknown rule `{value}` (use a code such as GLC002, a code prefix "
                "such as GLC0, a name such as missing-producer, or ALL)"
            ) from None
    return tuple(dict.fromkeys(codes))


def _all_codes() -> list[str]:
    from glacier.rules import RULES

    return [rule.code for rule in RULES]


def _severities(values: Any, where: str) -> dict[str, Severity]:
    if not isinstance(values, Mapping):
        raise ConfigError(f"{where} must be a table of rule = severity, got {values!r}")
    result: dict[str, Severity] = {}
    for key, value in values.items():
        try:
            code = get_rule(str(key)).code
        except KeyError:
            raise ConfigError(f"{where}: unknown rule `{key}`") from None
        try:
            result[code] = value if isinstance(value, Severity) else Severity(str(value).lower())
        except ValueError:
            choices = ", ".join(s.value for s in Severity)
            raise ConfigError(
                f"{where}: severity of `{key}` must be one of {choices}, got {value!r}"
            ) from None
    return result


def _strings(values: Any, where: str) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, list):
        raise ConfigError(f"{where} must be a list of strings, got {values!r}")
    if not all(isinstance(v, str) for v in values):
        raise ConfigError(f"{where} must be a list of strings, got {values!r}")
    return tuple(values)


def settings_from_table(table: Mapping[str, Any], root: Path, where: str) -> Settings:
    """Validate a ``[tool.glacier]`` table.

    Raises:
        ConfigError: naming the file and the bad key.
    """
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: [tool.glacier] must be a table")
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key `{unknown[0]}` in [tool.glacier]; known keys: {', '.join(_KEYS)}"
        )
    root = root.resolve()
    return Settings(
        root=root,
        select=_codes(table.get("select", []), f"{where}: select"),
        ignore=_codes(table.get("ignore", []), f"{where}: ignore"),
        severity=_severities(table.get("severity", {}), f"{where}: severity"),
        include=_strings(table.get("include", []), f"{where}: include"),
        exclude=_strings(table.get("exclude", []), f"{where}: exclude"),
        src=tuple((root / s).resolve() for s in _strings(table.get("src", []), f"{where}: src")),
        diagrams=_diagrams(table.get("diagrams", []), root, f"{where}: diagrams"),
        validate=_validate_mode(table.get("validate", "error"), f"{where}: validate"),
        target=_target(table.get("target"), f"{where}: target"),
        target_options=_target_tables(table, where),
    )


def _target(value: Any, where: str) -> str | None:
    if value is None or value in _TARGETS:
        return cast("str | None", value)
    raise ConfigError(f"{where} must be one of {', '.join(_TARGETS)}, got {value!r}")


def _target_tables(table: Mapping[str, Any], where: str) -> dict[str, Mapping[str, Any]]:
    tables: dict[str, Mapping[str, Any]] = {}
    for name in _TARGETS:
        options = table.get(name, {})
        if not isinstance(options, Mapping):
            raise ConfigError(f"{where}: [tool.glacier.{name}] must be a table")
        tables[name] = dict(options)
    return tables


def _validate_mode(value: Any, where: str) -> Literal["error", "warn", "off"]:
    if value not in _VALIDATE_MODES:
        raise ConfigError(f'{where} must be "error", "warn" or "off", got {value!r}')
    return cast(Literal["error", "warn", "off"], value)


def _diagrams(values: Any, root: Path, where: str) -> tuple[Diagram, ...]:
    if not isinstance(values, list) or not all(isinstance(v, Mapping) for v in values):
        raise ConfigError(f"{where} must be an array of tables ([[tool.glacier.diagrams]])")
    diagrams: list[Diagram] = []
    for number, table in enumerate(values, start=1):
        here = f"{where}[{number}]"
        unknown = sorted(set(table) - set(_DIAGRAM_KEYS))
        if unknown:
            known = ", ".join(_DIAGRAM_KEYS)
            raise ConfigError(f"{here}: unknown key `{unknown[0]}`; known keys: {known}")
        output = table.get("output")
        if not isinstance(output, str) or not output.strip():
            raise ConfigError(f'{here}: `output` must be a file path such as "docs/dag.svg"')
        pipeline = table.get("pipeline")
        if pipeline is not None and not isinstance(pipeline, str):
            raise ConfigError(f"{here}: `pipeline` must be a string, got {pipeline!r}")
        format_ = table.get("format")
        if format_ is not None and not isinstance(format_, str):
            raise ConfigError(f"{here}: `format` must be a string, got {format_!r}")
        datasets = table.get("datasets", "auto")
        if datasets not in _DATASET_MODES:
            modes = ", ".join(_DATASET_MODES)
            raise ConfigError(f"{here}: `datasets` must be one of {modes}, got {datasets!r}")
        paths = _strings(table.get("paths", ["."]), f"{here}: paths")
        diagrams.append(
            Diagram(
                output=(root / output).resolve(),
                paths=tuple((root / p).resolve() for p in paths),
                pipeline=pipeline,
                format=format_,
                datasets=cast(Literal["nodes", "edges", "auto"], datasets),
            )
        )
    return tuple(diagrams)


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
            return data
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None


def load_settings(start: Path, config_file: Path | None = None) -> Settings:
    """Settings from ``config_file``, else from the nearest ``pyproject.toml`` above ``start``.

    The nearest ``pyproject.toml`` with a ``[tool.glacier]`` table wins; without one, the
    nearest ``pyproject.toml`` is the root and the defaults apply; without any, the
    current directory is the root.

    Raises:
        ConfigError: if the file cannot be read or its ``[tool.glacier]`` is invalid.
    """
    if config_file is not None:
        data = _read(config_file)
        tool = data.get("tool", {})
        table = tool.get("glacier") if isinstance(tool, dict) else None
        if table is None:
            table = {k: v for k, v in data.items() if k != "tool"}
        settings = settings_from_table(table, config_file.resolve().parent, str(config_file))
        return replace(settings, config_file=config_file.resolve())
    start = start.resolve()
    directory = start if start.is_dir() else start.parent
    first: Path | None = None
    for candidate in (directory, *directory.parents):
        pyproject = candidate / "pyproject.toml"
        if not pyproject.is_file():
            continue
        first = first or candidate
        data = _read(pyproject)
        tool = data.get("tool", {})
        if isinstance(tool, dict) and "glacier" in tool:
            settings = settings_from_table(tool["glacier"], candidate, str(pyproject))
            return replace(settings, config_file=pyproject.resolve())
    if first is not None:
        return Settings(root=first.resolve(), config_file=(first / "pyproject.toml").resolve())
    return Settings(root=Path.cwd().resolve())
