"""``python -m ecr_cache_tui`` is the ``ecr-cache`` command."""

from __future__ import annotations

import sys

from ecr_cache_tui.cli import main

if __name__ == "__main__":
    sys.exit(main())
