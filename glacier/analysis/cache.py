"""The analyzer's cache: per-file facts and the last whole result, as signed JSON data.

It lives in a per-user directory (`user_cache_dir`), one folder per project path, never in
the project: a checked-out repository cannot plant entries, and nothing in it is read.
Entries hold data only (JSON of an allow-list of Glacier's own record types; no pickle), and
each carries an HMAC of its kind, key and content under a random per-user secret. A file
that is missing, foreign, truncated, for another key or for another Glacier version is a
miss; loading one can neither run code nor raise. Writes go to a temporary file renamed
into place, so overlapping runs never see half an entry.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path, PurePath
from typing import Any

from glacier import __version__
from glacier.analysis import facts as _facts
from glacier.analysis.facts import FileFacts

#: Bump when extraction changes what it records (5: syntax errors contained, packages of
#: needed modules parsed; 6: read with ast alone, libcst no longer rejects what Python
#: accepts; 7: `return` kinds recorded (GLC017); entries written before are misses).
ANALYZER_VERSION = 7
#: Overrides the per-user cache directory (tests, CI caches, read-only homes).
CACHE_ENV = "GLACIER_CACHE_DIR"
#: First line of every entry; a file without it is not ours.
MAGIC = b"glacier-cache 1\n"
_SECRET_BYTES = 32


def content_key(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def user_cache_dir() -> Path:
    """Where Glacier keeps caches for this user (``$GLACIER_CACHE_DIR`` wins)."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "glacier" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "glacier"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "glacier"


def project_cache_dir(root: Path, base: Path | None = None) -> Path:
    """The analyzer's folder for the project at ``root``: keyed by its absolute path."""
    absolute = os.path.normcase(os.path.normpath(os.path.abspath(root)))
    digest = hashlib.blake2b(absolute.encode("utf-8", "surrogateescape"), digest_size=12)
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(absolute).name)[:40]
    return (base or user_cache_dir()) / "analyzer" / f"{name or 'root'}-{digest.hexdigest()}"


def _secret(base: Path) -> bytes | None:
    """The per-user signing key, created on first use; ``None`` when it cannot be had."""
    path = base / "secret"
    try:
        value = path.read_bytes()
        if len(value) == _SECRET_BYTES:
            return value
    except OSError:
        pass
    try:
        base.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=base, prefix=".tmp-secret-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(os.urandom(_SECRET_BYTES))
            os.chmod(temporary, 0o600)
            try:
                os.link(temporary, path)  # exclusive: a concurrent first run keeps its key
            except FileExistsError:
                if len(path.read_bytes()) != _SECRET_BYTES:
                    os.replace(temporary, path)
                    temporary = ""
        finally:
            if temporary:
                os.unlink(temporary)
        value = path.read_bytes()
    except OSError:
        return None
    return value if len(value) == _SECRET_BYTES else None


# -- the data format ------------------------------------------------------------------------
#
# JSON whose objects are all tagged, so `json.loads`' object hook rebuilds values bottom-up:
# {"(": [...]} tuple, {"{": [[k, v], ...]} dict, {"f": [...]} frozenset, {"s": [...]} set,
# {"P": "..."} path, {"S": "error"} severity, {"R": "GLC002"} rule, and
# {"@": "ClassName", "v": [...]} for one of the allow-listed dataclasses (positional fields).
# Lists are plain arrays.


def _record_types() -> dict[str, type[Any]]:
    from glacier import diagnostics, model
    from glacier.analysis import result
    from glacier.graph import model as graph_model
    from glacier.graph import problems

    types: dict[str, type[Any]] = {}
    for module in (_facts, model, graph_model, problems, diagnostics, result):
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and dataclasses.is_dataclass(value)
                and value.__module__ == module.__name__
            ):
                types[name] = value
    return types


_TYPES: dict[str, type[Any]] | None = None


def _types() -> dict[str, type[Any]]:
    global _TYPES
    if _TYPES is None:
        _TYPES = _record_types()
    return _TYPES


class _Unsupported(TypeError):
    """A value the cache format does not hold: the entry is not written."""


def _encode(value: Any) -> Any:
    from glacier.rules import Rule, Severity

    if value is None or type(value) in (str, bool, int, float):
        return value
    if isinstance(value, Severity):
        return {"S": value.value}
    if isinstance(value, Rule):
        return {"R": value.code}
    if type(value) is tuple:
        return {"(": [_encode(item) for item in value]}
    if type(value) is list:
        return [_encode(item) for item in value]
    if isinstance(value, Mapping):
        return {"{": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if type(value) is frozenset:
        return {"f": [_encode(item) for item in value]}
    if type(value) is set:
        return {"s": [_encode(item) for item in value]}
    if isinstance(value, PurePath):
        return {"P": str(value)}
    kind = type(value)
    if dataclasses.is_dataclass(value) and _types().get(kind.__name__) is kind:
        return {
            "@": kind.__name__,
            "v": [_encode(getattr(value, f.name)) for f in dataclasses.fields(kind) if f.init],
        }
    raise _Unsupported(f"cannot cache a {kind.__qualname__}")


def _decoder() -> Callable[[dict[str, Any]], Any]:
    from glacier.rules import Severity, get_rule

    types = _types()

    def hook(tagged: dict[str, Any]) -> Any:
        if len(tagged) == 1:
            ((tag, body),) = tagged.items()
            if tag == "(":
                return tuple(body)
            if tag == "{":
                return {k: v for k, v in body}
            if tag == "f":
                return frozenset(body)
            if tag == "s":
                return set(body)
            if tag == "P":
                return Path(body)
            if tag == "S":
                return Severity(body)
            if tag == "R":
                return get_rule(body)
        elif len(tagged) == 2 and "@" in tagged and type(tagged.get("v")) is list:
            kind = types[tagged["@"]]
            return kind(*tagged["v"])
        raise ValueError("not a cache value")

    return hook


def dumps(value: object) -> bytes:
    """``value`` in the cache's data format.

    Raises:
        TypeError: for a value of a type the format does not hold.
    """
    return json.dumps(_encode(value), ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8", "surrogatepass"
    )


def loads(data: bytes) -> object:
    """The value ``data`` holds; raises `ValueError` (or another error) when it is not ours."""
    return json.loads(data.decode("utf-8", "surrogatepass"), object_hook=_decoder())


class FactsCache:
    """Per-file facts by content hash, and the last whole result; a disabled cache stores
    nothing and reads nothing."""

    def __init__(self, root: Path, *, enabled: bool = True, base: Path | None = None) -> None:
        tag = f"{__version__}-{ANALYZER_VERSION}-py{sys.version_info[0]}{sys.version_info[1]}"
        self.base = base or user_cache_dir()
        self.directory = project_cache_dir(root, self.base) / tag
        self.enabled = enabled
        self.hits = 0
        self.misses = 0
        self._key: bytes | None = None
        self._key_loaded = False

    def _signing_key(self) -> bytes | None:
        if not self._key_loaded:
            self._key_loaded = True
            self._key = _secret(self.base)
        return self._key

    def _path(self, key: str, kind: str) -> Path:
        safe = "".join(c for c in key if c in "0123456789abcdef")[:64] or "_"
        return self.directory / "facts" / safe[:2] / f"{safe}.{kind}.json"

    def _signature(self, secret: bytes, kind: str, key: str, payload: bytes) -> bytes:
        header = f"{__version__}\0{ANALYZER_VERSION}\0{kind}\0{key}\0".encode()
        return hmac.new(secret, header + payload, hashlib.sha256).hexdigest().encode("ascii")

    def _read(self, target: Path, kind: str, key: str) -> object | None:
        """The value stored for ``(kind, key)``, if the file is one we signed for them."""
        secret = self._signing_key()
        if secret is None:
            return None
        try:
            with target.open("rb") as handle:
                data = handle.read()
            head, _, rest = data.partition(b"\n")
            signature, _, payload = rest.partition(b"\n")
            if head + b"\n" != MAGIC or not hmac.compare_digest(
                signature, self._signature(secret, kind, key, payload)
            ):
                return None
            return loads(payload)
        except Exception:  # noqa: BLE001 - whatever is on disk, an unreadable entry is a miss
            return None

    def get(self, key: str, kind: str) -> FileFacts | None:
        if not self.enabled:
            return None
        facts = self._read(self._path(key, kind), kind, key)
        if not isinstance(facts, FileFacts):
            self.misses += 1
            return None
        self.hits += 1
        return facts

    def get_result(self, key: str) -> object | None:
        """The whole previous result, if it was computed from exactly the same inputs."""
        if not self.enabled:
            return None
        return self._read(self.directory / "result.json", "result", key)

    def put_result(self, key: str, result: object) -> None:
        if self.enabled:
            self._write(self.directory / "result.json", "result", key, result)

    def put(self, key: str, kind: str, facts: FileFacts) -> None:
        if self.enabled:
            self._write(self._path(key, kind), kind, key, facts)

    def _write(self, target: Path, kind: str, key: str, value: object) -> None:
        secret = self._signing_key()
        if secret is None:
            return
        try:
            payload = dumps(value)
        except (TypeError, ValueError, RecursionError):
            return  # a value the format does not hold is simply not cached
        try:
            if not self.base.joinpath("CACHEDIR.TAG").exists():
                self.base.mkdir(parents=True, exist_ok=True)
                (self.base / "CACHEDIR.TAG").write_text(
                    "Signature: 8a477f597d28d172789f06886806bc55\n"
                    "# Glacier's cache: safe to delete at any time.\n"
                )
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(MAGIC)
                    stream.write(self._signature(secret, kind, key, payload) + b"\n")
                    stream.write(payload)
                os.replace(temporary, target)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError:
            pass  # a read-only or full disk only costs speed
