"""``python -m aduan.cli``."""

import sys

from aduan.cli import main

sys.exit(main())
