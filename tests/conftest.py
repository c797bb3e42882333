from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "examples" / "seeds"
SHARED = ROOT.parent / "shared"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture()
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture()
def seed_paths() -> list[Path]:
    return sorted(SEEDS.glob("*.txt"))


@pytest.fixture()
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.db"


@pytest.fixture(scope="session")
def embedder():
    """The default (static) embedder, loaded once for the whole test session."""
    from storyline.embed import get_embedder

    return get_embedder()


@pytest.fixture(scope="module")
def seeds():
    """The cleaned seed articles and the copy map found from their wording (see tests/seedutil.py)."""
    from seedutil import lexical_copies, seed_articles

    arts = list(seed_articles())
    return arts, lexical_copies(arts)
