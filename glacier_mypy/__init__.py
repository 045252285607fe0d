"""Glacier's mypy plugin (``plugins = glacier_mypy``); see issue 5."""
