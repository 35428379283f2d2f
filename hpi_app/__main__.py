"""``python -m hpi_app``."""

import sys

from hpi_app.cli import main

sys.exit(main())
