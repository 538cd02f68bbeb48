"""The package's version: its one home (pyproject.toml reads it, run settings record it)."""

__version__ = "0.1.0"
