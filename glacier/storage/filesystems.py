"""fsspec file systems behind each storage location, built where the I/O happens.

A `Store` is the handful of operations the commit protocol needs: whole-object reads
and writes, a conditional replace of the pointer, listing and removal. Cloud libraries
are optional extras, imported only when a location of theirs is used.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import mmap
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, BinaryIO

from glacier.distribution import install_hint
from glacier.storage.codecs import Blob
from glacier.storage.errors import StorageError
from glacier.storage.locations import S3, Storage

#: URI scheme -> (module, extra) of the optional fsspec implementation.
_EXTRAS = {"s3": ("s3fs", "s3"), "gs": ("gcsfs", "gcs"), "az": ("adlfs", "azure")}


class ConflictError(Exception):
    """The pointer changed between reading it and replacing it."""


@dataclass(frozen=True)
class ObjectInfo:
    """What a store knows about one object without reading it."""

    path: str
    size: int
    #: An ETag, a generation or a modification time: changes when the object does.
    tag: str


def split_uri(uri: str) -> tuple[str, str]:
    """``("s3", "bucket/prefix/")`` for ``s3://bucket/prefix/``."""
    scheme, separator, rest = uri.partition("://")
    if not separator:
        return "file", uri
    return scheme, rest


def import_extra(scheme: str) -> Any:
    """The fsspec implementation module for ``scheme``.

    Raises:
        StorageError: naming the extra to install when it is missing.
    """
    module, extra = _EXTRAS[scheme]
    try:
        return importlib.import_module(module)
    except ImportError:
        raise StorageError(
            f"reading or writing `{scheme}://` needs the `{module}` package: {install_hint(extra)}"
        ) from None


def s3_options(storage: Storage | None) -> dict[str, Any]:
    """Keyword arguments for ``s3fs.S3FileSystem``: the endpoint, never credentials.

    Credentials come from botocore's standard chain (environment, profile, instance
    metadata); the endpoint from ``S3(endpoint_url=)``, else ``AWS_ENDPOINT_URL_S3`` or
    ``AWS_ENDPOINT_URL``.
    """
    endpoint = storage.endpoint_url if isinstance(storage, S3) else None
    endpoint = (
        endpoint or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    )
    options: dict[str, Any] = {
        # Fail fast on an unreachable endpoint instead of minutes of retries.
        "config_kwargs": {
            "connect_timeout": 10,
            "retries": {"max_attempts": 3, "mode": "standard"},
        },
        # Listings change under other writers; never answer from a stale cache.
        "use_listings_cache": False,
    }
    if endpoint:
        options["endpoint_url"] = endpoint
    return options


def gcs_options() -> dict[str, Any]:
    """Keyword arguments for ``gcsfs.GCSFileSystem``.

    Credentials follow Google's application-default chain (``GOOGLE_APPLICATION_CREDENTIALS``,
    gcloud, the metadata server); ``STORAGE_EMULATOR_HOST`` points at an emulator.
    """
    options: dict[str, Any] = {"token": None}
    emulator = os.environ.get("STORAGE_EMULATOR_HOST")
    if emulator:
        options["endpoint_url"] = emulator
        options["token"] = "anon"
    project = os.environ.get("GOOGLE_CLOUD_PROJECT")
    if project:
        options["project"] = project
    return options


def azure_options() -> dict[str, Any]:
    """Keyword arguments for ``adlfs.AzureBlobFileSystem``.

    adlfs reads ``AZURE_STORAGE_CONNECTION_STRING``, ``AZURE_STORAGE_ACCOUNT_NAME``/``_KEY``,
    ``AZURE_STORAGE_SAS_TOKEN`` and the service-principal variables itself; with only an
    account name, Azure's default credential chain is used.
    """
    options: dict[str, Any] = {}
    if not any(
        os.environ.get(name)
        for name in (
            "AZURE_STORAGE_CONNECTION_STRING",
            "AZURE_STORAGE_ACCOUNT_KEY",
            "AZURE_STORAGE_SAS_TOKEN",
            "AZURE_STORAGE_CLIENT_SECRET",
        )
    ):
        options["anon"] = False  # DefaultAzureCredential
    return options


class Store:
    """Object operations on one file system, with paths as the file system spells them."""

    def __init__(self, fs: Any, scheme: str) -> None:
        self.fs = fs
        self.scheme = scheme

    def read(self, path: str) -> bytes | None:
        """The object's bytes, or ``None`` when it does not exist."""
        try:
            data: bytes = self.fs.cat_file(path)
        except FileNotFoundError:
            return None
        return data

    def read_tagged(self, path: str) -> tuple[bytes, str] | None:
        """The object's bytes and a tag for `replace`, or ``None`` when missing."""
        data = self.read(path)
        if data is None:
            return None
        return data, hashlib.sha256(data).hexdigest()

    def write(self, path: str, data: Blob) -> None:
        """Write a new object (its folder need not exist)."""
        self.fs.pipe_file(path, data if isinstance(data, bytes) else bytes(data))

    def replace(self, path: str, data: bytes, expected: str | None) -> None:
        """Replace ``path`` if its tag is still ``expected`` (``None``: it must not exist).

        Stores without conditional writes check, then write: a narrow race remains.
        """
        current = self.read_tagged(path)
        if (current[1] if current else None) != expected:
            raise ConflictError(path)
        self.fs.pipe_file(path, data)

    def files(self, folder: str) -> list[ObjectInfo]:
        """Every object below ``folder`` (recursively), sorted by path."""
        found: dict[str, dict[str, Any]] = self.fs.find(folder, detail=True, withdirs=False)
        return sorted(
            (
                ObjectInfo(path, int(info.get("size") or 0), _tag(info))
                for path, info in found.items()
            ),
            key=lambda item: item.path,
        )

    def info(self, path: str) -> ObjectInfo | None:
        """What the store knows of one object, or ``None`` when missing."""
        try:
            info: dict[str, Any] = self.fs.info(path)
        except FileNotFoundError:
            return None
        if info.get("type") == "directory":
            return None
        return ObjectInfo(path, int(info.get("size") or 0), _tag(info))

    def is_folder(self, path: str) -> bool:
        """Whether anything lies below ``path``."""
        try:
            return bool(self.fs.isdir(path))
        except FileNotFoundError:
            return False

    def remove_folder(self, path: str) -> None:
        """Remove ``path`` and everything below it."""
        self.fs.rm(path, recursive=True)

    def subfolders(self, path: str) -> list[str]:
        """The names of the folders directly below ``path``."""
        try:
            entries: list[dict[str, Any]] = self.fs.ls(path, detail=True)
        except FileNotFoundError:
            return []
        return sorted(
            entry["name"].rstrip("/").rsplit("/", 1)[-1]
            for entry in entries
            if entry.get("type") == "directory"
        )


#: Set to ``1`` to make local commits durable across power loss (see `LocalStore`).
FSYNC_ENV = "GLACIER_STORAGE_FSYNC"


class LocalStore(Store):
    """The local file system: an atomic rename makes the pointer swap safe.

    The rename alone makes a commit atomic for readers and against a crash of the
    writing process (the kernel keeps what was written). Surviving power loss needs
    every file of the version on disk before the pointer names it, so ``durable``
    (``GLACIER_STORAGE_FSYNC=1``) syncs the data files, the manifest, the new pointer
    and the folders holding them (new ones too); syncing the pointer alone would not be
    enough.
    """

    def __init__(self, fs: Any, scheme: str, *, durable: bool = False) -> None:
        super().__init__(fs, scheme)
        self.durable = durable

    def write(self, path: str, data: Blob) -> None:
        with self.open_new(path) as handle:
            handle.write(data)

    @contextlib.contextmanager
    def open_new(self, path: str) -> Iterator[BinaryIO]:
        """A new file to write into (its folder need not exist); when durable, the file
        and its folder entry are on disk when the block ends."""
        self._make_folder(os.path.dirname(path))
        with open(path, "wb") as handle:
            yield handle
            if self.durable:
                handle.flush()
                os.fsync(handle.fileno())
        if self.durable:
            _sync_folder(os.path.dirname(path))

    @contextlib.contextmanager
    def mapped(self, path: str) -> Iterator[Blob]:
        """A file's bytes through a read-only memory map (no copy into this process)."""
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size == 0:
                yield b""  # an empty file cannot be mapped
                return
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapping:
                view = memoryview(mapping)
                try:
                    yield view
                finally:
                    view.release()

    def remove(self, path: str) -> None:
        """Delete a file if it is there."""
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)

    def _make_folder(self, folder: str) -> None:
        """Create ``folder`` and its missing parents; when durable, persist their entries."""
        if not self.durable:
            os.makedirs(folder, exist_ok=True)
            return
        created = []
        here = folder
        while here and not os.path.isdir(here) and os.path.dirname(here) != here:
            created.append(here)
            here = os.path.dirname(here)
        os.makedirs(folder, exist_ok=True)
        for made in reversed(created):
            _sync_folder(os.path.dirname(made))

    def read(self, path: str) -> bytes | None:
        try:
            with open(path, "rb") as handle:
                return handle.read()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def replace(self, path: str, data: bytes, expected: str | None) -> None:
        current = self.read_tagged(path)
        if (current[1] if current else None) != expected:
            raise ConflictError(path)
        temporary = f"{path}.{secrets.token_hex(6)}.tmp"
        self._make_folder(os.path.dirname(path))
        with open(temporary, "wb") as handle:
            handle.write(data)
            if self.durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, path)
        if self.durable:
            _sync_folder(os.path.dirname(path))


def _sync_folder(path: str) -> None:
    """Persist a folder's entries (a rename into it); a no-op where folders cannot be opened."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:  # Windows
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class S3Store(Store):
    """S3: the pointer is replaced with ``If-Match``/``If-None-Match`` on its ETag."""

    def read(self, path: str) -> bytes | None:
        # One GetObject (s3fs's cat_file sends a HeadObject first).
        found = self.read_tagged(path)
        return found[0] if found else None

    def read_tagged(self, path: str) -> tuple[bytes, str] | None:
        from fsspec.asyn import sync  # type: ignore[import-untyped, unused-ignore]

        bucket, key, _ = self.fs.split_path(path)

        async def get() -> tuple[bytes, str]:
            response = await self.fs._call_s3("get_object", Bucket=bucket, Key=key)
            async with response["Body"] as body:
                data: bytes = await body.read()
            return data, str(response["ETag"])

        try:
            result: tuple[bytes, str] = sync(self.fs.loop, get)
        except FileNotFoundError:
            return None
        return result

    def replace(self, path: str, data: bytes, expected: str | None) -> None:
        condition = {"IfMatch": expected} if expected is not None else {"IfNoneMatch": "*"}
        try:
            self.fs.pipe_file(path, data, **condition)
        except Exception as error:
            if _status(error) in (409, 412):
                raise ConflictError(path) from error
            raise


class AzureStore(Store):
    """Azure Blob: the pointer is replaced with ``If-Match: <ETag>`` (or ``If-None-Match: *``)."""

    def read_tagged(self, path: str) -> tuple[bytes, str] | None:
        from azure.core.exceptions import ResourceNotFoundError
        from fsspec.asyn import sync  # type: ignore[import-untyped, unused-ignore]

        container, blob, _ = self.fs.split_path(path)

        async def get() -> tuple[bytes, str]:
            async with self.fs.service_client.get_blob_client(container, blob) as client:
                download = await client.download_blob()
                data: bytes = await download.readall()
                return data, str(download.properties.etag)

        try:
            result: tuple[bytes, str] = sync(self.fs.loop, get)
        except ResourceNotFoundError:
            return None
        return result

    def replace(self, path: str, data: bytes, expected: str | None) -> None:
        from azure.core.exceptions import ResourceExistsError, ResourceModifiedError
        from fsspec.asyn import sync  # type: ignore[import-untyped, unused-ignore]

        container, blob, _ = self.fs.split_path(path)
        condition = azure_condition(expected)

        async def put() -> None:
            async with self.fs.service_client.get_blob_client(container, blob) as client:
                await client.upload_blob(data, **condition)

        try:
            sync(self.fs.loop, put)
        except (ResourceExistsError, ResourceModifiedError) as error:
            # 409 BlobAlreadyExists (If-None-Match: *) or 412 ConditionNotMet (If-Match).
            raise ConflictError(path) from error
        self.fs.invalidate_cache(path)


def azure_condition(expected: str | None) -> dict[str, Any]:
    """``upload_blob`` keywords making the upload conditional on the pointer's ``expected``
    ETag, or on its absence (``None``)."""
    if expected is None:
        return {"overwrite": False}  # If-None-Match: *
    from azure.core import MatchConditions

    return {"overwrite": True, "etag": expected, "match_condition": MatchConditions.IfNotModified}


class GCSStore(Store):
    """Google Cloud Storage: the pointer is replaced with an ``ifGenerationMatch`` precondition.

    The tag is the object's generation (``0`` for "must not exist", as GCS defines it).
    """

    def read_tagged(self, path: str) -> tuple[bytes, str] | None:
        from fsspec.asyn import sync  # type: ignore[import-untyped, unused-ignore]

        async def get() -> tuple[bytes, str]:
            headers, data = await self.fs._call("GET", self.fs.url(path))
            return bytes(data), gcs_generation(headers, path)

        try:
            result: tuple[bytes, str] = sync(self.fs.loop, get)
        except FileNotFoundError:
            return None
        return result

    def replace(self, path: str, data: bytes, expected: str | None) -> None:
        from fsspec.asyn import sync  # type: ignore[import-untyped, unused-ignore]

        url, params = gcs_conditional_upload(self.fs, path, expected)

        async def put() -> None:
            await self.fs._call(
                "POST",
                url,
                headers={"Content-Type": "application/json"},
                data=data,
                json_out=True,
                **params,
            )

        try:
            sync(self.fs.loop, put)
        except FileExistsError as error:
            # gcsfs turns 412 Precondition Failed into FileExistsError.
            raise ConflictError(path) from error
        self.fs.invalidate_cache(path)


def gcs_generation(headers: Any, path: str) -> str:
    """The generation GCS reports for a downloaded object.

    Raises:
        StorageError: if the response carries none (not a GCS JSON API endpoint).
    """
    generation = headers.get("x-goog-generation") if headers is not None else None
    if not generation:
        raise StorageError(
            f"the server returned `{path}` without its generation (x-goog-generation), "
            "so the pointer cannot be replaced safely: is this a Google Cloud Storage endpoint?"
        )
    return str(generation)


def gcs_conditional_upload(fs: Any, path: str, expected: str | None) -> tuple[str, dict[str, str]]:
    """The URL and query parameters of a one-request upload of ``path`` that succeeds only
    if the object's generation is still ``expected`` (``None``: it must not exist)."""
    from urllib.parse import quote

    bucket, key, _ = fs.split_path(path)
    return (
        f"{fs._location}/upload/storage/v1/b/{quote(bucket, safe='')}/o",
        {"uploadType": "media", "name": key, "ifGenerationMatch": expected or "0"},
    )


def _status(error: BaseException) -> int | None:
    """The HTTP status of a (possibly wrapped) botocore error."""
    seen: BaseException | None = error
    while seen is not None:
        response = getattr(seen, "response", None)
        if isinstance(response, dict):
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if isinstance(status, int):
                return status
        seen = seen.__cause__ or seen.__context__
    return None


def _tag(info: dict[str, Any]) -> str:
    for key in ("ETag", "etag", "generation", "md5Hash", "content_settings"):
        value = info.get(key)
        if value and isinstance(value, (str, int)):
            return str(value).strip('"')
    modified = info.get("mtime") or info.get("LastModified") or info.get("last_modified") or ""
    return f"{info.get('size')}:{modified}"


@lru_cache(maxsize=2)
def _local_store(durable: bool) -> LocalStore:
    """The local store has no state: one serves every look-up (a cached run makes many)."""
    from fsspec.implementations.local import LocalFileSystem  # type: ignore[import-untyped, unused-ignore]

    return LocalStore(LocalFileSystem(), "file", durable=durable)


def open_store(uri: str, storage: Storage | None = None) -> tuple[Store, str]:
    """The store for ``uri`` and the folder's path in it (ending with ``/``).

    ``storage`` supplies options a URI cannot carry (an S3 ``endpoint_url``).
    """
    scheme, rest = split_uri(uri)
    if scheme == "file":
        durable = os.environ.get(FSYNC_ENV, "") not in ("", "0")
        return _local_store(durable), rest
    if scheme == "memory":  # glacier.testing: in-memory storage, nothing leaves the process
        from fsspec.implementations.memory import MemoryFileSystem  # type: ignore[import-untyped, unused-ignore]

        return Store(MemoryFileSystem(), scheme), "/" + rest.lstrip("/")
    if scheme == "s3":
        s3fs = import_extra("s3")
        return S3Store(s3fs.S3FileSystem(**s3_options(storage)), scheme), rest
    if scheme in ("gs", "gcs"):
        gcsfs = import_extra("gs")
        return GCSStore(gcsfs.GCSFileSystem(**gcs_options()), "gs"), rest
    if scheme in ("az", "abfs"):
        adlfs = import_extra("az")
        return AzureStore(adlfs.AzureBlobFileSystem(**azure_options()), "az"), rest
    raise StorageError(f"unknown storage scheme `{scheme}://` (use s3, gs, az or file)", uri=uri)
