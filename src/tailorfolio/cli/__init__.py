"""The command line (an edge over the public API)."""
