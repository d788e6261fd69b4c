"""The runtime: the process table, ``aduan up`` (the embedded stack) and its servers."""
