"""Entry point for `python -m toolkit`."""

import sys

from toolkit.cli import main

sys.exit(main())
