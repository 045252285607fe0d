"""OpenLineage for Glacier: one mapping from the model (`mapping`), used from source
(`static`, ``glacier lineage``) and by the run-time listener."""

from glacier.lineage.mapping import (
    DEFAULT_NAMESPACE,
    LineageDataset,
    LineageJob,
    SchemaField,
    dataset_identity,
    lineage_jobs,
)

__all__ = [
    "DEFAULT_NAMESPACE",
    "LineageDataset",
    "LineageJob",
    "SchemaField",
    "dataset_identity",
    "lineage_jobs",
]
