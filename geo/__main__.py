"""``python -m geo``: the batch command line (:mod:`geo.cli`)."""

import sys

from geo.cli import main

if __name__ == "__main__":
    sys.exit(main())
