"""A JSON Schema for OpenLineage events, built from the ``openlineage-python`` client's classes.

The client (1.54) ships no copy of the OpenLineage JSON schema files, only the attrs classes
generated from them, with their field names, types, required fields and enums. This turns those
classes into a JSON Schema (nothing fetched from elsewhere), plus the two string formats the
spec fixes (``eventTime`` is an RFC 3339 date-time, ``runId`` a UUID), and validates events
with ``jsonschema``.
"""

from __future__ import annotations

import enum
import types
import typing
from typing import Any

import attr
import jsonschema
from openlineage.client.event_v2 import BaseEvent, JobEvent, RunEvent
from openlineage.client.facet_v2 import (
    BaseFacet,
    error_message_run,
    job_type_job,
    parent_run,
    schema_dataset,
    source_code_location_job,
)

#: The facets Glacier writes, by the key they appear under.
FACETS: dict[str, type] = {
    "schema": schema_dataset.SchemaDatasetFacet,
    "sourceCodeLocation": source_code_location_job.SourceCodeLocationJobFacet,
    "jobType": job_type_job.JobTypeJobFacet,
    "parent": parent_run.ParentRunFacet,
    "errorMessage": error_message_run.ErrorMessageRunFacet,
}
DATE_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
PATTERNS = {"eventTime": DATE_TIME, "runId": UUID}


def _schema(kind: Any, defs: dict[str, Any], field: str | None = None) -> dict[str, Any]:
    origin = typing.get_origin(kind)
    if kind is Any:
        return {}
    if kind is type(None):
        return {"type": "null"}
    if kind is str:
        pattern = PATTERNS.get(field or "")
        return {"type": "string", **({"pattern": pattern} if pattern else {})}
    if kind is bool:
        return {"type": "boolean"}
    if kind is int:
        return {"type": "integer"}
    if kind is float:
        return {"type": "number"}
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return {"enum": [member.value for member in kind]}
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [_schema(arg, defs, field) for arg in typing.get_args(kind)]}
    if origin is list:
        (item,) = typing.get_args(kind)
        return {"type": "array", "items": _schema(item, defs)}
    if origin is dict:
        _, value = typing.get_args(kind)
        if isinstance(value, type) and issubclass(value, BaseFacet):
            known = {
                key: _schema(cls, defs) for key, cls in FACETS.items() if issubclass(cls, value)
            }
            return {
                "type": "object",
                "properties": known,
                "additionalProperties": _schema(value, defs),
            }
        return {"type": "object", "additionalProperties": _schema(value, defs)}
    if attr.has(kind):
        return _class(kind, defs)
    raise TypeError(f"no JSON Schema for {kind!r}")


def _class(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    name = f"{cls.__module__}.{cls.__qualname__}"
    if name not in defs:
        defs[name] = {}  # recursion guard
        attr.resolve_types(cls)
        properties: dict[str, Any] = {}
        required: list[str] = []
        for item in attr.fields(cls):
            properties[item.name] = _schema(item.type, defs, item.name)
            if item.default is attr.NOTHING:
                required.append(item.name)
        if issubclass(cls, BaseFacet):
            required += ["_producer", "_schemaURL"]
        if issubclass(cls, BaseEvent):
            required += ["producer", "schemaURL"]
        defs[name] = {
            "type": "object",
            "properties": properties,
            "required": sorted(set(required)),
        }
    return {"$ref": f"#/$defs/{name}"}


def schema_of(event_class: type) -> dict[str, Any]:
    defs: dict[str, Any] = {}
    root = _class(event_class, defs)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **root, "$defs": defs}


RUN_EVENT = schema_of(RunEvent)
JOB_EVENT = schema_of(JobEvent)


def validate(event: dict[str, Any]) -> None:
    """Raise `jsonschema.ValidationError` unless ``event`` is a valid run or job event."""
    schema = RUN_EVENT if "run" in event else JOB_EVENT
    jsonschema.Draft202012Validator(schema).validate(event)
