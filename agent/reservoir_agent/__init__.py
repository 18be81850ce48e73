"""reservoir-agent: turns a Reservoir booking into access on the machine, for exactly its holder and time."""

__version__ = "0.1.0"
