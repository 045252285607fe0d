"""``python -m glacier`` runs the command line."""

from glacier.cli import main

raise SystemExit(main())
