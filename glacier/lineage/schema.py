"""Schema fields of datasets, for the OpenLineage schema facet.

From source (`static_schema_fields`): the annotated attributes of the module-level class that
``Dataset(..., schema=...)`` names, found in the analysed files by reading them with `ast`
(never importing them); types as written. At run time (`runtime_schema_fields`): the class's own
annotations, in definition order; types as written when annotations are deferred (``from
__future__ import annotations``), else formatted from the live types. Either way a schema whose
fields are unknown (``dict``, a class defined elsewhere) gives no facet rather than a wrong one.
"""

from __future__ import annotations

import ast
import inspect
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from glacier.lineage.mapping import SchemaField
from glacier.model import Project


def _class_fields(node: ast.ClassDef) -> tuple[SchemaField, ...]:
    fields: list[SchemaField] = []
    for statement in node.body:
        if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
            continue
        annotation = ast.unparse(statement.annotation)
        if annotation.startswith(("ClassVar", "typing.ClassVar")):
            continue
        fields.append(SchemaField(statement.target.id, annotation))
    return tuple(fields)


class _SourceClasses:
    """Module-level classes of files, parsed once each."""

    def __init__(self) -> None:
        self._classes: dict[str, dict[str, ast.ClassDef]] = {}

    def classes(self, filename: str) -> dict[str, ast.ClassDef]:
        if filename not in self._classes:
            found: dict[str, ast.ClassDef] = {}
            try:
                tree = ast.parse(Path(filename).read_bytes(), filename)
            except (OSError, SyntaxError, ValueError):
                tree = ast.Module(body=[], type_ignores=[])
            for node in tree.body:
                if isinstance(node, ast.ClassDef):
                    found[node.name] = node
            self._classes[filename] = found
        return self._classes[filename]


def static_schema_fields(
    project: Project, files: Iterable[str | Path]
) -> dict[str, tuple[SchemaField, ...]]:
    """Dataset name -> schema fields, for datasets whose schema class is in ``files``.

    The class is looked up by its last name (``models.User`` -> ``User``): first in the file
    that declares the dataset, then in the other files in path order.
    """
    sources = _SourceClasses()
    ordered = sorted(str(f) for f in files)
    result: dict[str, tuple[SchemaField, ...]] = {}
    for dataset in project.datasets:
        if dataset.schema is None or dataset.name in result:
            continue
        text = dataset.schema
        if text.startswith(("list[", "List[")) and text.endswith("]"):
            text = text[5:-1]  # a dataset of rows, schema=list[Row]: Row's fields
        class_name = text.rsplit(".", 1)[-1]
        first = [dataset.span.filename] if dataset.span is not None else []
        for filename in (*first, *ordered):
            node = sources.classes(filename).get(class_name)
            if node is not None:
                fields = _class_fields(node)
                if fields:
                    result[dataset.name] = fields
                break
    return result


def _type_text(annotation: Any) -> str:
    if isinstance(annotation, str):
        return annotation
    if isinstance(annotation, type) and not getattr(annotation, "__args__", None):
        return annotation.__name__
    return repr(annotation).replace("typing.", "")


def runtime_schema_fields(schema: object) -> tuple[SchemaField, ...] | None:
    """The fields of a live schema class (dataclass, TypedDict, pydantic model...), if any;
    of its row class for a dataset of rows (``list[Row]``)."""
    if typing.get_origin(schema) is list and len(typing.get_args(schema)) == 1:
        schema = typing.get_args(schema)[0]
    if not isinstance(schema, type):
        return None
    try:
        annotations = inspect.get_annotations(schema)
    except Exception:  # noqa: BLE001 - a schema we cannot read has no facet
        return None
    fields = [
        SchemaField(name, _type_text(annotation))
        for name, annotation in annotations.items()
        if not _type_text(annotation).startswith(("ClassVar", "typing.ClassVar"))
    ]
    return tuple(fields) or None
