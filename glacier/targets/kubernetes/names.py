"""Kubernetes naming and quantity rules as small pure functions.

Object names, Argo template names and DAG task names must be DNS-1123 labels: at most 63
lowercase letters, digits and ``-``, starting and ending with a letter or digit. Task ids
and pipeline names are Python identifiers (``clean_users``), so they are translated
(``clean-users``); a name that had to be changed or shortened gets a short hash of the
original, so two different ids never meet in one name.
"""

from __future__ import annotations

import hashlib
import re

#: Longest DNS-1123 label (object names, label values, Argo template and task names).
LABEL_MAX = 63
#: Longest DNS-1123 subdomain (names of most namespaced objects).
SUBDOMAIN_MAX = 253
#: A WorkflowTemplate's name is a prefix of every Workflow it starts (``generateName``:
#: the name, ``-`` and 5 random characters) and that Workflow's name is a label value.
WORKFLOW_TEMPLATE_MAX = LABEL_MAX - 6

_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_NOT_ALLOWED = re.compile(r"[^a-z0-9]+")
_HASH_LENGTH = 8


def label_problem(name: str, max_length: int = LABEL_MAX) -> str | None:
    """Why ``name`` is not a DNS-1123 label of at most ``max_length`` characters, or None.

    >>> label_problem("clean-users") is None
    True
    >>> label_problem("Clean_Users")
    'must consist of lowercase letters, digits and `-`, starting and ending with a letter or digit'
    """
    if not name:
        return "must not be empty"
    if len(name) > max_length:
        return f"must be at most {max_length} characters, not {len(name)}"
    if not _LABEL.fullmatch(name):
        return (
            "must consist of lowercase letters, digits and `-`, "
            "starting and ending with a letter or digit"
        )
    return None


def subdomain_problem(name: str) -> str | None:
    """Why ``name`` is not a DNS-1123 subdomain (dot-separated labels, 253 characters), or None.

    >>> subdomain_problem("glacier.example.com") is None
    True
    >>> subdomain_problem("a..b")
    'must be dot-separated lowercase labels of letters, digits and `-`'
    """
    if not name:
        return "must not be empty"
    if len(name) > SUBDOMAIN_MAX:
        return f"must be at most {SUBDOMAIN_MAX} characters, not {len(name)}"
    if not all(_LABEL.fullmatch(part) for part in name.split(".")):
        return "must be dot-separated lowercase labels of letters, digits and `-`"
    return None


def to_label(text: str, max_length: int = LABEL_MAX) -> str:
    """A DNS-1123 label for ``text``: unchanged when it already is one, else translated.

    Lowercase; runs of other characters become ``-``; a name that changed other than by
    ``_`` → ``-``, or that is too long, ends in ``-`` and 8 hex digits of the original's
    SHA-256, so distinct inputs stay distinct.

    >>> to_label("clean_users")
    'clean-users'
    >>> to_label("x" * 70)
    'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-c71bd109'
    """
    if max_length <= _HASH_LENGTH + 1:
        raise ValueError(f"max_length must exceed {_HASH_LENGTH + 1}, got {max_length}")
    plain = _NOT_ALLOWED.sub("-", text.lower()).strip("-")
    # Mapping `_` to `-` is the one change a Python identifier needs and loses nothing a
    # pipeline can tell apart; any other change (case, symbols, runs, length) adds a hash.
    if text.replace("_", "-") == plain and len(plain) <= max_length:
        return plain
    digest = hashlib.sha256(text.encode()).hexdigest()[:_HASH_LENGTH]
    head = plain[: max_length - _HASH_LENGTH - 1].rstrip("-")
    return f"{head}-{digest}" if head else f"x-{digest}"


def cpu_quantity(cpus: float) -> str:
    """A CPU count as a Kubernetes quantity: whole CPUs as ``4``, else millicores ``500m``.

    Kubernetes accepts at most millicore precision, so a fraction is rounded up to it.

    >>> cpu_quantity(4), cpu_quantity(0.5), cpu_quantity(0.0001)
    ('4', '500m', '1m')
    """
    if not cpus > 0:
        raise ValueError(f"a CPU count must be positive, got {cpus!r}")
    millis = -(-round(cpus * 1_000_000) // 1000)  # ceil at micro precision, no float noise
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"


def memory_quantity(megabytes: int) -> str:
    """Glacier's memory in MB (MiB, as every target reads it) as a quantity: ``8192Mi``.

    >>> memory_quantity(8192)
    '8192Mi'
    """
    if isinstance(megabytes, bool) or not isinstance(megabytes, int) or megabytes <= 0:
        raise ValueError(f"memory must be a positive whole number of MB, got {megabytes!r}")
    return f"{megabytes}Mi"


_QUANTITY = re.compile(
    r"[+-]?(\d+(\.\d*)?|\.\d+)"
    r"(([eE][+-]?\d+)|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?"
)


def is_quantity(text: str) -> bool:
    """Whether ``text`` is a Kubernetes resource quantity (``500m``, ``4``, ``8Gi``, ``1e3``).

    >>> is_quantity("500m"), is_quantity("8192Mi"), is_quantity("8 GB")
    (True, True, False)
    """
    return _QUANTITY.fullmatch(text) is not None
