"""Reading and writing datasets: write-once versions and a pointer swapped last.

A dataset's folder (its storage ``uri``) holds::

    _current.json                    the pointer: {"version": ..., "manifest": {...}}
    _v-20261201T063500123456Z-1a2b/   one committed version (never changed)
        part-0.parquet | data.json | ...
        _manifest.json

Version folders start with ``_`` so Parquet readers skip them. A commit writes the
version's files, then its manifest, then replaces the pointer (conditionally where the
store supports it); a reader reads the pointer, then exactly the files it lists. A
crash before the pointer swap leaves the previous version current.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import secrets
import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from glacier.storage.codecs import (
    Blob,
    Codec,
    Encoded,
    Refused,
    StreamingCodec,
    automatic_codecs,
    codec_names,
    get_codec,
    type_name,
)
from glacier.storage.errors import CommitConflict, StorageError
from glacier.storage.external import data_files, read_external
from glacier.storage.filesystems import ConflictError, LocalStore, Store, open_store
from glacier.storage.manifest import Manifest

if TYPE_CHECKING:
    from glacier.runtime.dataset import Dataset

#: The pointer to the current version, in the dataset's folder.
POINTER = "_current.json"
#: The manifest inside each version folder.
MANIFEST = "_manifest.json"
#: Version folders: ``_v-<UTC time>-<random>``, so names sort by creation time.
VERSION_PREFIX = "_v-"


def _location(dataset: Dataset[Any], location: str | None) -> str:
    if location is not None:
        if not location.endswith("/"):
            raise StorageError(
                "`location` must be a folder URI ending with `/`",
                dataset=dataset.name,
                uri=location,
            )
        return location
    if dataset.storage is None:
        raise StorageError(
            "it declares no storage: give it `storage=` (or pass `location=`)", dataset=dataset.name
        )
    return dataset.storage.uri


@contextlib.contextmanager
def _guard(dataset: str, uri: str, doing: str) -> Iterator[None]:
    """Turn any library error into one `StorageError` naming the dataset and URI."""
    try:
        yield
    except StorageError as error:
        if error.dataset is not None:
            raise
        raise StorageError(error.reason, dataset=dataset, uri=uri) from error
    except Exception as error:
        raise StorageError(
            f"{doing} failed: {describe(error)}", dataset=dataset, uri=uri
        ) from error


def describe(error: BaseException) -> str:
    """A short, secret-free account of a storage library's error and what to do."""
    name = type(error).__name__
    text = str(error).splitlines()[0] if str(error) else ""
    lowered = f"{name} {text}".lower()
    if "nocredentials" in lowered or "unable to locate credentials" in lowered:
        hint = "no credentials found (set them the cloud's standard way: environment or profile)"
    elif any(
        code in lowered
        for code in (
            "invalidaccesskeyid",
            "signaturedoesnotmatch",
            "authorization",
            "authentication",
            "forbidden",
            "accessdenied",
            "access denied",
        )
    ) or isinstance(error, PermissionError):
        hint = "access denied: check the credentials and their permissions"
    elif (
        "nosuchbucket" in lowered
        or "containernotfound" in lowered
        or "bucket does not exist" in lowered
    ):
        hint = "the bucket or container does not exist"
    elif any(
        word in lowered
        for word in (
            "connect",
            "endpoint",
            "timeout",
            "timed out",
            "name or service",
            "unreachable",
        )
    ):
        hint = "cannot reach the storage endpoint: check the endpoint URL and the network"
    elif isinstance(error, FileNotFoundError):
        hint = "not found (a missing bucket, container or file)"
    else:
        hint = ""
    detail = f"{name}: {text}" if text else name
    return f"{hint} ({detail})" if hint else detail


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _new_version(created: datetime.datetime) -> str:
    return f"{VERSION_PREFIX}{created.strftime('%Y%m%dT%H%M%S%fZ')}-{secrets.token_hex(4)}"


def _choose_codec(dataset: Dataset[Any], value: Any, format: str | None) -> Codec:
    requested = format or getattr(dataset, "format", None)
    value_type = f"`{type_name(type(value))}`"
    if requested is not None:
        codec = get_codec(requested)
        if codec is None:
            raise StorageError(
                f"unknown format {requested!r}; known formats: {', '.join(codec_names())}",
                dataset=dataset.name,
            )
        reason = codec.refusal(value)
        if reason is None:
            return codec
        raise StorageError(
            f"format {requested!r} cannot store this {value_type} value: {reason}."
            f"{_would_work(value, exclude=requested)}",
            dataset=dataset.name,
        )
    reasons = []
    for codec in automatic_codecs():
        reason = codec.refusal(value)
        if reason is None:
            return codec
        reasons.append(f"{codec.name}: {reason}")
    telling = [reason for reason in reasons if not reason.endswith(" only")] or reasons
    raise StorageError(
        f"no format stores this {value_type} value faithfully ({'; '.join(telling)})."
        f"{_would_work(value)}",
        dataset=dataset.name,
    )


def _works(codec: Codec | None, value: Any) -> bool:
    """Whether ``codec`` stores ``value`` (only on the error path: it encodes)."""
    if codec is None or codec.refusal(value) is not None:
        return False
    try:
        codec.encode(value)
    except Exception:  # noqa: BLE001 (any failure means: not this one)
        return False
    return True


def _would_work(value: Any, exclude: str | None = None) -> str:
    working = [name for name in codec_names() if name != exclude and _works(get_codec(name), value)]
    if not working:
        return (
            " No registered format can store it; register a codec (glacier.storage.register_codec)."
        )
    shown = " or ".join(f"format={name!r}" for name in working)
    return f" Formats that would work: Dataset(..., {shown})."


#: The content hash of new versions. BLAKE3 is a cryptographic hash more than twice as fast
#: as SHA-256 (even with SHA instructions), and verifying every read pays for it.
HASH_ALGORITHM = "blake3"
_HASHERS = ("blake3", "sha256")


def _new_digest(algorithm: str) -> Any:
    if algorithm == "blake3":
        # Imported on first use: `import glacier` stays light (the mypy plugin imports it).
        from blake3 import blake3

        return blake3()
    return hashlib.sha256()


def _hash(files: Mapping[str, Blob], algorithm: str = HASH_ALGORITHM) -> str:
    """``<algorithm>:<hex digest>`` over the files' bytes in order."""
    digest = _new_digest(algorithm)
    for data in files.values():
        digest.update(data)
    return f"{algorithm}:{digest.hexdigest()}"


#: The checksum each read verifies, one per file.
CHECKSUM_ALGORITHM = "xxh3-128"


def _checksum(data: Blob) -> str:
    """``xxh3-128:<hex>``: XXH3 reads a 13 MB file in a fraction of a millisecond, so a read
    verifies its data without slowing down (a cryptographic hash took 4 ms beside the
    decoding). It finds damage and mix-ups; the content hash stays the identity."""
    from xxhash import xxh3_128_hexdigest

    return f"{CHECKSUM_ALGORITHM}:{xxh3_128_hexdigest(data)}"


#: Above this many bytes the content hash runs beside the write (the hash releases the
#: GIL), instead of before it.
_HASH_ASIDE = 4 * 1024 * 1024


class _Hashing:
    """The content hash of some files, computed in a thread for large data.

    A fresh thread per use, never a pool: a pool inherited through ``fork`` deadlocks.
    """

    def __init__(self, files: Mapping[str, Blob]) -> None:
        self._files = files
        self._result: str | None = None
        self._thread: threading.Thread | None = None
        if sum(len(data) for data in files.values()) > _HASH_ASIDE:
            self._thread = threading.Thread(target=self._run, name="glacier-hash", daemon=True)
            self._thread.start()
        else:
            self._run()

    def _run(self) -> None:
        self._result = _hash(self._files)

    def result(self) -> str:
        if self._thread is not None:
            self._thread.join()
        assert self._result is not None
        return self._result


def write_dataset(
    dataset: Dataset[Any],
    value: Any,
    *,
    location: str | None = None,
    format: str | None = None,
    run_id: str,
    task_id: str | None = None,
    cache_key: str | None = None,
) -> Manifest:
    """Commit ``value`` as a new version of the dataset: version folder + manifest, pointer last.

    ``location`` (a folder URI ending in ``/``) overrides ``dataset.storage.uri``;
    ``format`` overrides ``dataset.format``.

    Raises:
        StorageError: naming the dataset, the value's type and the formats that would
            work when no codec can store it; or naming the dataset and URI when I/O fails.
    """
    from glacier import __version__

    uri = _location(dataset, location)
    codec = _choose_codec(dataset, value, format)
    created = _now()
    version = _new_version(created)
    with _guard(dataset.name, uri, "writing"):
        store, folder = open_store(uri, dataset.storage)
        current = store.read_tagged(folder + POINTER)
        # Object stores take one request per object, so only a local folder is streamed to.
        if isinstance(codec, StreamingCodec) and isinstance(store, LocalStore):
            written = _stream(store, f"{folder}{version}/", codec, value, dataset.name, uri)
        else:
            with _encoding(codec, value, dataset.name, uri):
                encoded = codec.encode(value)
            written = _write_encoded(store, f"{folder}{version}/", encoded)
        manifest = Manifest(
            version=version,
            format=codec.name,
            python_type=written.python_type,
            content_hash=written.content_hash,
            size=sum(written.sizes.values()),
            files=written.sizes,
            cache_key=cache_key,
            run_id=run_id,
            task_id=task_id,
            glacier_version=__version__,
            created=created.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            checksums=written.checksums,
        )
        manifest_bytes = json.dumps(manifest.to_dict(), indent=2, sort_keys=True).encode()
        store.write(f"{folder}{version}/{MANIFEST}", manifest_bytes)
        pointer = json.dumps(
            {"glacier_pointer": 1, "version": version, "manifest": manifest.to_dict()},
            indent=2,
            sort_keys=True,
        ).encode()
        try:
            store.replace(folder + POINTER, pointer, current[1] if current else None)
        except ConflictError:
            raise _lost_race(store, folder, version, dataset.name, uri) from None
    return manifest


class _Written(NamedTuple):
    """What the manifest records of a version's files."""

    python_type: str
    sizes: dict[str, int]
    content_hash: str
    checksums: dict[str, str]


@contextlib.contextmanager
def _encoding(codec: Codec, value: Any, dataset: str, uri: str) -> Iterator[None]:
    """A codec's failure as a `StorageError` naming the value's type and what would work."""
    try:
        yield
    except Refused as refused:
        raise StorageError(
            f"format {codec.name!r} cannot store this `{type_name(type(value))}` value: "
            f"{refused}.{_would_work(value, exclude=codec.name)}",
            dataset=dataset,
        ) from None
    except Exception as error:
        raise StorageError(
            f"format {codec.name!r} could not store this `{type_name(type(value))}` value "
            f"({describe(error)}).{_would_work(value, exclude=codec.name)}",
            dataset=dataset,
            uri=uri,
        ) from error


def _write_encoded(store: Store, folder: str, encoded: Encoded) -> _Written:
    """Write encoded files, hashing them beside the writes when they are large."""
    files = encoded.files
    hashing = _Hashing(files)
    for name, data in files.items():
        store.write(folder + name, data)
    return _Written(
        encoded.python_type,
        {name: len(data) for name, data in files.items()},
        hashing.result(),
        {name: _checksum(data) for name, data in files.items()},
    )


def _stream(
    store: LocalStore, folder: str, codec: StreamingCodec, value: Any, dataset: str, uri: str
) -> _Written:
    """Encode straight into the version's file on local disk (no buffer the size of the data
    to fill first), then hash the file through a memory map."""
    name = codec.file_name
    try:
        with store.open_new(folder + name) as handle, _encoding(codec, value, dataset, uri):
            python_type = codec.encode_to(value, handle)
    except BaseException:
        store.remove(folder + name)  # the version is not committed; leave no half file
        raise
    with store.mapped(folder + name) as data:
        sizes = {name: len(data)}
        return _Written(python_type, sizes, _hash({name: data}), {name: _checksum(data)})


def _lost_race(store: Store, folder: str, version: str, dataset: str, uri: str) -> CommitConflict:
    """The error of a commit whose pointer swap found another writer's version current."""
    try:
        winner = _read_pointer(store, folder, dataset, uri)
    except Exception:  # noqa: BLE001 (the conflict is the news; the winner's name is a detail)
        winner = None
    named = f"version {winner.version}" if winner is not None else "another version"
    return CommitConflict(
        f"another writer committed {named} while this write was in progress, so this one "
        f"was not committed; the current version is intact and {version} is left "
        "uncommitted for `glacier gc` (run again to write on top of it)",
        dataset=dataset,
        uri=uri,
    )


def _read_pointer(store: Store, folder: str, dataset: str, uri: str) -> Manifest | None:
    raw = store.read(folder + POINTER)
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        return Manifest.from_dict(data["manifest"])
    except (ValueError, KeyError, TypeError) as error:
        raise StorageError(
            f"its pointer `{POINTER}` is damaged ({error}); `glacier gc` keeps old versions "
            "you can point it back to",
            dataset=dataset,
            uri=uri,
        ) from error


def read_manifest(dataset: Dataset[Any], *, location: str | None = None) -> Manifest | None:
    """The manifest of the current version; ``None`` when Glacier never committed one."""
    uri = _location(dataset, location)
    with _guard(dataset.name, uri, "reading the manifest"):
        store, folder = open_store(uri, dataset.storage)
        return _read_pointer(store, folder, dataset.name, uri)


def read_dataset(dataset: Dataset[Any], *, location: str | None = None) -> Any:
    """The current version's value, or the external data at the dataset's URI.

    Raises:
        StorageError: naming the dataset and URI when nothing is there, the data does not
            match its manifest, or the store cannot be read.
    """
    uri = _location(dataset, location)
    schema = getattr(dataset, "schema", None)
    with _guard(dataset.name, uri, "reading"):
        store, folder = open_store(uri, dataset.storage)
        manifest = _read_pointer(store, folder, dataset.name, uri)
        if manifest is None:
            return read_external(store, folder, dataset=dataset.name, uri=uri, schema=schema)
        codec = get_codec(manifest.format)
        if codec is None:
            raise StorageError(
                f"it was written in format {manifest.format!r}, which no registered codec "
                "reads here (register it with glacier.storage.register_codec)",
                dataset=dataset.name,
                uri=uri,
            )
        files: dict[str, bytes] = {}
        for name, size in manifest.files.items():
            data = store.read(f"{folder}{manifest.version}/{name}")
            if data is None or len(data) != size:
                found = "missing" if data is None else f"{len(data)} bytes"
                raise StorageError(
                    f"version {manifest.version} does not match its manifest: `{name}` should "
                    f"be {size} bytes, found {found}",
                    dataset=dataset.name,
                    uri=uri,
                )
            files[name] = data
    _verify(manifest, files, dataset.name, uri)
    # (Pickle payloads also verify their own signature before anything is unpickled.)
    try:
        return codec.decode(files, manifest.python_type, schema)
    except Exception as error:
        raise StorageError(
            f"cannot decode version {manifest.version} as {manifest.format} ({describe(error)})",
            dataset=dataset.name,
            uri=uri,
        ) from error


def _verify(manifest: Manifest, files: Mapping[str, bytes], dataset: str, uri: str) -> None:
    """Refuse data that is not what the manifest says was written: each file's checksum,
    or, for versions written before checksums, the content hash."""
    checksums = manifest.checksums
    if checksums:
        for name, data in files.items():
            expected = checksums.get(name, "")
            if expected.partition(":")[0] != CHECKSUM_ALGORITHM:
                raise StorageError(
                    f"version {manifest.version} has no checksum Glacier knows for `{name}` "
                    f"({expected[:20]!r})",
                    dataset=dataset,
                    uri=uri,
                )
            if _checksum(data) != expected:
                raise StorageError(
                    f"version {manifest.version} does not match its manifest (the checksum "
                    f"of `{name}` differs)",
                    dataset=dataset,
                    uri=uri,
                )
        return
    algorithm = manifest.content_hash.partition(":")[0]
    if algorithm not in _HASHERS:
        raise StorageError(
            f"version {manifest.version} has a content hash of an unknown kind "
            f"({manifest.content_hash[:20]!r}; known: {', '.join(sorted(_HASHERS))})",
            dataset=dataset,
            uri=uri,
        )
    if _hash(files, algorithm) != manifest.content_hash:
        raise StorageError(
            f"version {manifest.version} does not match its manifest (content hash differs)",
            dataset=dataset,
            uri=uri,
        )


def dataset_exists(dataset: Dataset[Any], *, location: str | None = None) -> bool:
    """Whether a committed version or external data is there."""
    uri = _location(dataset, location)
    with _guard(dataset.name, uri, "looking for the data"):
        store, folder = open_store(uri, dataset.storage)
        if store.read(folder + POINTER) is not None:
            return True
        return bool(data_files(store, folder))


def content_key(dataset: Dataset[Any], *, location: str | None = None) -> str | None:
    """The manifest's content hash; for external data a digest of each file's ETag, or
    size and modification time; ``None`` when nothing is there."""
    uri = _location(dataset, location)
    with _guard(dataset.name, uri, "looking for the data"):
        store, folder = open_store(uri, dataset.storage)
        manifest = _read_pointer(store, folder, dataset.name, uri)
        if manifest is not None:
            return manifest.content_hash
        files = data_files(store, folder)
        if not files:
            return None
        digest = hashlib.sha256()
        for item in files:
            digest.update(f"{item.path[len(folder) :]}\0{item.size}\0{item.tag}\n".encode())
        return f"external:{digest.hexdigest()}"
