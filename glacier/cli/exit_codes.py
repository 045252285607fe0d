"""Exit codes of every Glacier command."""

import enum


class ExitCode(enum.IntEnum):
    """What the process returns, as ruff and pytest do."""

    #: No errors (warnings allowed).
    OK = 0
    #: At least one error-severity diagnostic.
    PROBLEMS = 1
    #: Usage error or internal failure.
    ERROR = 2
