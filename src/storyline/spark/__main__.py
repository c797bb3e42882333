"""``python -m storyline.spark INPUT OUTPUT ...``: the batch pipeline (arguments: ``--help``)."""

import sys

from storyline.spark import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
