"""Run a Glacier command with a bug injected into resolution, to test how failures surface.

``python -m tests.cli.faults glacier check .`` (or ``glacier-lsp``): the resolver raises when
it interprets an assignment to ``glacier_crash_marker``, and extraction raises on a file that
contains ``glacier_extract_crash``. Everything else is the real program.
"""

from __future__ import annotations

import sys
from typing import Any

#: An assignment to this name makes the resolver raise.
RESOLVE_MARKER = "glacier_crash_marker"
#: A file containing this text makes extraction raise.
EXTRACT_MARKER = b"glacier_extract_crash"


def install() -> None:
    from glacier.analysis import engine, resolve
    from glacier.analysis.facts import SAssign

    statement = resolve.Resolver.statement
    full_facts = engine.full_facts

    def faulty_statement(self: Any, item: Any, env: Any) -> Any:
        if isinstance(item, SAssign) and any(name == RESOLVE_MARKER for name, _ in item.targets):
            raise RuntimeError("injected resolver bug")
        return statement(self, item, env)

    def faulty_full_facts(data: bytes, memo: Any = None) -> Any:
        if EXTRACT_MARKER in data:
            raise RuntimeError("injected extractor bug")
        return full_facts(data, memo)

    resolve.Resolver.statement = faulty_statement  # type: ignore[method-assign]
    engine.full_facts = faulty_full_facts


def main() -> int:
    install()
    program, arguments = sys.argv[1], sys.argv[2:]
    if program == "glacier-lsp":
        from glacier_lsp import main as lsp_main

        lsp_main()
        return 0
    from glacier.cli import main as cli_main

    return cli_main(arguments)


if __name__ == "__main__":
    sys.exit(main())
