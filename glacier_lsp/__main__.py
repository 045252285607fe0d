"""``python -m glacier_lsp``: start the language server on standard input/output."""

from glacier_lsp import main

main()
