"""Where the public benchmark data lives (for the eval/ and bench/ scripts; the pipeline never reads it)."""

from __future__ import annotations

import os
from pathlib import Path

_REPO = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    """``$STORYLINE_SHARED``, else ``../shared`` beside the checkout (or one level further up, for git worktrees)."""
    if os.environ.get("STORYLINE_SHARED"):
        return Path(os.environ["STORYLINE_SHARED"])
    for base in (_REPO.parent, _REPO.parent.parent):
        if (base / "shared" / "data").is_dir():
            return base / "shared"
    return _REPO.parent / "shared"
