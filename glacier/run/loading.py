"""Find the pipeline ``glacier run TARGET`` names: import the user's module and pick it.

``TARGET`` is ``path/to/file.py``, ``path/to/file.py:variable`` or
``package.module:variable``. A file is imported under the module name the analyzer gives
it (so task ids agree with ``glacier check``), with its import root on ``sys.path``. The
import happens under `importing_user_code`, so the module's own top-level
``pipeline.run()`` and ``compile()`` calls are skipped.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from types import ModuleType
from typing import TYPE_CHECKING

from glacier.runtime.errors import GlacierError
from glacier.runtime.importing import importing_user_code

if TYPE_CHECKING:
    from glacier.runtime.pipeline import Pipeline


class TargetError(GlacierError):
    """``TARGET`` names no pipeline (or several); the message says what to do.

    ``user_traceback`` holds the traceback of the user's code when importing it failed.
    """

    def __init__(self, message: str, user_traceback: str = "") -> None:
        super().__init__(message)
        self.user_traceback = user_traceback


def split_target(target: str) -> tuple[str, str | None]:
    """``(file or module, variable or None)``; a Windows drive colon is not a separator."""
    head, colon, tail = target.rpartition(":")
    if colon and head and tail and not (len(head) == 1 and tail.startswith(("\\", "/"))):
        return head, tail
    return target, None


def load_pipeline(target: str) -> Pipeline:
    """Import the module ``target`` names and return its pipeline.

    Raises:
        TargetError: the file or module does not exist or fails to import, or it has no
            such variable, no pipeline, or several pipelines and no variable was given.
    """
    where, variable = split_target(target)
    if where.endswith(".py") or os.sep in where or "/" in where or os.path.isfile(where):
        module = _import_file(where)
        shown = where
    else:
        module = _import(where, where)
        shown = where
    return _pick(module, shown, variable)


def _import_file(path: str) -> ModuleType:
    from glacier.runtime.identity import normalize, script_module_name

    if not os.path.isfile(path):
        hint = " (a directory: name the file, e.g. DIR/pipeline.py)" if os.path.isdir(path) else ""
        raise TargetError(f"{path}: no such file{hint}")
    if not path.endswith(".py"):
        raise TargetError(f"{path}: not a Python file; give a .py file or package.module:variable")
    absolute = normalize(path)
    name = script_module_name(absolute)
    root = absolute
    for _ in range(name.count(".") + 1):
        root = os.path.dirname(root)
    if root not in sys.path:
        sys.path.insert(0, root)
    existing = sys.modules.get(name)
    if existing is not None and normalize(getattr(existing, "__file__", "") or "") != absolute:
        raise TargetError(
            f"{path}: its module name `{name}` is already taken by {existing.__file__}; "
            "rename the file or run it as package.module:variable"
        )
    return _import(name, path)


def _import(name: str, shown: str) -> ModuleType:
    try:
        with importing_user_code():
            return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name and (error.name == name or name.startswith(error.name + ".")):
            raise TargetError(
                f"{shown}: no module named `{name}` (give a path to a .py file, or run from "
                "the folder that contains the package)"
            ) from None
        raise TargetError(
            f"{shown}: importing it failed: {type(error).__name__}: {error}",
            _user_frames(error),
        ) from None
    except SyntaxError as error:
        raise TargetError(
            f"{error.filename}:{error.lineno}: syntax error: {error.msg}", ""
        ) from None
    except GlacierError as error:
        raise TargetError(f"{shown}: {error}", _user_frames(error)) from None
    except Exception as error:  # noqa: BLE001 - the user's module can raise anything
        raise TargetError(
            f"{shown}: importing it failed: {type(error).__name__}: {error}",
            _user_frames(error),
        ) from None


def _user_frames(error: BaseException) -> str:
    glacier_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not os.path.abspath(frame.filename).startswith(glacier_dir + os.sep)
        and "<frozen importlib" not in frame.filename
    ]
    if not frames:
        return ""
    return "Traceback (most recent call last):\n" + "".join(traceback.format_list(frames))


def _pick(module: ModuleType, shown: str, variable: str | None) -> Pipeline:
    from glacier.runtime.pipeline import Pipeline

    if variable is not None:
        if not hasattr(module, variable):
            found = _pipelines(module)
            choices = f"; its pipelines: {', '.join(found)}" if found else ""
            raise TargetError(f"{shown}: has no variable `{variable}`{choices}")
        value = getattr(module, variable)
        if not isinstance(value, Pipeline):
            raise TargetError(f"{shown}:{variable} is a {type(value).__name__}, not a Pipeline")
        return value
    found = _pipelines(module)
    if not found:
        raise TargetError(
            f"{shown}: defines no pipeline; create one with Pipeline([...]) at module level"
        )
    if len(found) > 1:
        names = ", ".join(found)
        raise TargetError(
            f"{shown}: defines several pipelines ({names}); choose one with "
            f"{shown}:{next(iter(found))}"
        )
    return next(iter(found.values()))


def _pipelines(module: ModuleType) -> dict[str, Pipeline]:
    from glacier.runtime.pipeline import Pipeline

    found: dict[str, Pipeline] = {}
    seen: set[int] = set()
    for name, value in vars(module).items():
        if isinstance(value, Pipeline) and id(value) not in seen:
            seen.add(id(value))
            found[name] = value
    own = {n: p for n, p in found.items() if getattr(p, "_module", None) == module.__name__}
    return own or found
