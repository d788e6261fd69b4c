"""The agency side: keys that sign agency actions, the inbox reader and action sender, and ``aduan agency``."""
