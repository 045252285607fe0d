"""Storage: where a dataset lives, and reading and writing its data.

Locations (`S3`, `GCS`, `AzureBlob`, `LocalPath`) are immutable values with a folder
``uri``. `write_dataset` commits a value as a new write-once version and swaps the
dataset's pointer last; `read_dataset` reads the current version, or external data that
Glacier did not write. See docs/storage.md.
"""

from glacier.storage.api import (
    content_key,
    dataset_exists,
    read_dataset,
    read_manifest,
    write_dataset,
)
from glacier.storage.codecs import Codec, Encoded, codec_names, register_codec
from glacier.storage.errors import CommitConflict, StorageError
from glacier.storage.formats import BUILTIN_FORMATS
from glacier.storage.locations import (
    GCS,
    S3,
    STORAGE_CLASSES,
    AzureBlob,
    LocalPath,
    Storage,
)
from glacier.storage.manifest import Manifest

__all__ = [
    "BUILTIN_FORMATS",
    "GCS",
    "S3",
    "STORAGE_CLASSES",
    "AzureBlob",
    "Codec",
    "CommitConflict",
    "Encoded",
    "LocalPath",
    "Manifest",
    "Storage",
    "StorageError",
    "codec_names",
    "content_key",
    "dataset_exists",
    "read_dataset",
    "read_manifest",
    "register_codec",
    "write_dataset",
]
