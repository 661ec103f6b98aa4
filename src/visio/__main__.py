"""``python -m visio``: the same as the ``visio`` command."""

import sys

from visio.cli import main

sys.exit(main())
