from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from storyline.model import Article, Event, ReuseEdge, Story, content_id
from storyline.store import SCHEMA_VERSION, SQLiteStore, StoreError


def _article(text: str, **kw) -> Article:
    paras = [text]
    return Article(id=content_id(paras), source="mem", paragraphs=paras, **kw)


def test_put_is_idempotent_and_roundtrips(db_path):
    store = SQLiteStore(db_path)
    a = _article("Robert'); DROP TABLE articles;-- said the minister on Friday.", title="x' OR 1=1 --")
    assert store.put_article(a) is True
    assert store.put_article(a) is False
    assert store.count_articles() == 1
    back = store.get_article(a.id)
    assert back.paragraphs == a.paragraphs and back.title == a.title
    assert store.get_article(a.id[:8]).id == a.id
    assert store.list_articles(q="DROP TABLE")[0].id == a.id
    assert store.list_articles(q="%") == []


def test_schema_version_and_foreign_db(tmp_path):
    path = tmp_path / "s.db"
    SQLiteStore(path).close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t(x)")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="not a Storyline store"):
        SQLiteStore(other)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError):
        SQLiteStore(junk)


def test_transaction_rolls_back_everything(db_path):
    store = SQLiteStore(db_path)
    a, b = _article("First article body text here."), _article("Second article body text here.")
    store.put_article(a)
    with pytest.raises(RuntimeError), store.transaction():
        store.put_article(b)
        store.put_edges([ReuseEdge(a.id, b.id, "rewrite", 0.9, 0.9, 0.9, "date", 1.0)])
        raise RuntimeError("interrupted")
    assert store.count_articles() == 1 and store.all_edges() == []


def test_bands_embeddings_stories_and_merge_aliases(db_path):
    store = SQLiteStore(db_path)
    store.put_minhash("a1", np.arange(8, dtype=np.uint64), [b"k1", b"k2"])
    store.put_minhash("a2", np.arange(8, dtype=np.uint64), [b"k2", b"k3"])
    assert sorted(store.query_bands([b"k2"])) == ["a1", "a2"]
    assert store.query_bands([b"zz"]) == []
    store.put_embedding("article", "a1", np.ones(4, dtype=np.float32))
    keys, mat = store.get_embeddings("article")
    assert keys == ["a1"] and mat.shape == (1, 4)
    s1 = Story(id="s1", article_ids=["a1"], events=[Event(id="e1", story_id="s1", article_ids=["a1"])])
    s2 = Story(id="s2", article_ids=["a2"])
    store.save_story(s1)
    store.save_story(s2)
    assert store.story_of("a1") == "s1"
    store.record_merge("s2", "s1")
    assert store.get_story("s2").id == "s1"
    assert store.count_stories() == 1


def test_migration_converts_blob_lsh_keys(tmp_path):
    """A store written before the integer LSH keys (schema 1, BLOB buckets + index) is migrated in place:
    its keys still match the same keys looked up as bytes, and new keys are added beside them."""
    import sqlite3

    from storyline.store.sqlite import MIGRATIONS

    path = tmp_path / "old.db"
    db = sqlite3.connect(str(path))
    db.executescript(MIGRATIONS[0])
    db.execute("PRAGMA user_version=1")
    old_key = b"\x03" + bytes(range(8))  # a 9-byte key as ReuseDetector makes them
    db.executemany(
        "INSERT INTO lsh_bands(bucket, article_id) VALUES (?, ?)", [(old_key, "old1"), (b"k2", "old1"), (b"k2", "old2")]
    )
    db.commit()
    db.close()
    store = SQLiteStore(path)
    assert store._version() == len(MIGRATIONS)
    assert {r[0] for r in store._q("SELECT typeof(bucket) FROM lsh_bands")} == {"integer"}
    assert store.query_bands([old_key]) == ["old1"]
    assert sorted(store.query_bands([b"k2"])) == ["old1", "old2"]
    store.put_minhash("new", np.arange(8, dtype=np.uint64), [old_key, old_key])
    assert sorted(store.query_bands([old_key])) == ["new", "old1"]
    assert sorted(store.lookup_bands([old_key, b"zz"])) == [(old_key, "new"), (old_key, "old1")]
    store.close()


def test_lsh_rows_keep_hex_ids_as_integers(tmp_path):
    store = SQLiteStore(tmp_path / "ids.db")
    hex_id, other = "00ff00ff00ff00ff", "Article-1"
    top = "ffffffffffffffff"  # the sign bit set
    store.put_minhashes(
        [
            (hex_id, np.zeros(4, dtype=np.uint64), [b"k"]),
            (other, np.zeros(4, dtype=np.uint64), [b"k"]),
            (top, np.zeros(4, dtype=np.uint64), [b"k", b"j"]),
        ]
    )
    assert sorted(store.query_bands([b"k"])) == sorted([hex_id, other, top])
    assert store.query_bands([b"j"]) == [top]
    kinds = dict(store._q("SELECT article_id, typeof(article_id) FROM lsh_bands WHERE typeof(article_id) = 'text'"))
    assert kinds == {other: "text"}
    store.close()


def test_stories_with_edges_since_a_mark(db_path):
    """The stories whose articles a reuse edge stored after a mark touches (both ends' stories)."""
    s = SQLiteStore(db_path)
    arts = [_article(f"Article number {i} about the harbour plan and the council vote.") for i in range(5)]
    for a in arts:
        s.put_article(a)
    a0, a1, a2, a3, a4 = (a.id for a in arts)
    s.save_story(Story("s-a", [a0, a1], [Event("s-a-e1", "s-a", [a0, a1])], title="A"))
    s.save_story(Story("s-b", [a2, a3], [Event("s-b-e1", "s-b", [a2, a3])], title="B"))
    s.put_edges([ReuseEdge(a0, a1, "rewrite", 0.9, 0.5, 0.5, "date", 0.9)])
    mark = s.edge_mark()
    assert mark > 0 and s.stories_with_edges_since(mark) == []
    s.put_edges([ReuseEdge(a1, a2, "partial", 0.5, 0.3, 0.3, "date", 0.9)])  # across stories: both moved
    assert s.stories_with_edges_since(mark) == ["s-a", "s-b"]
    mark = s.edge_mark()
    s.put_edges([ReuseEdge(a3, a4, "partial", 0.5, 0.3, 0.3, "date", 0.9)])  # a4 is in no story
    assert s.stories_with_edges_since(mark) == ["s-b"]
    assert SQLiteStore(":memory:").edge_mark() == 0


def test_default_edge_views_agree_with_sqlites(db_path):
    """The interface's default story edge views (a scan over edges_for, for other engines) give what
    SQLite's own queries give: non-independent edges, each once; inside the story, or touching it."""
    from storyline.model import AlignedPassage
    from storyline.store.defaults import StoreDefaults

    store = SQLiteStore(db_path)
    arts = [_article(f"Article number {i} about the water reform in the regional parliament.") for i in range(5)]
    for a in arts:
        store.put_article(a)
    a0, a1, a2, a3, out = (a.id for a in arts)
    store.save_story(Story(id="s1", article_ids=[a0, a1, a2, a3]))
    store.save_story(Story(id="s2", article_ids=[out]))

    def edge(s, t, rel, conf, n_passages=1):
        return ReuseEdge(
            s,
            t,
            rel,
            conf,
            0.5,
            0.5,
            "date",
            0.9,
            [AlignedPassage(i, i, "s", "s", 0.9, "identical") for i in range(n_passages)],
        )

    store.put_edges(
        [
            edge(a0, a1, "near-duplicate", 0.95, 2),
            edge(a1, a2, "rewrite", 0.8),
            edge(a0, a3, "independent", 0.1),
            edge(a2, out, "partial-reuse", 0.7, 3),
        ]
    )
    want_inside = {(a0, a1, "near-duplicate", 0.95), (a1, a2, "rewrite", 0.8)}
    assert set(store.story_links("s1")) == set(StoreDefaults.story_links(store, "s1")) == want_inside
    assert len(StoreDefaults.story_links(store, "s1")) == 2  # each edge once
    for limit, offset in ((None, 0), (2, 0), (2, 1)):
        got = StoreDefaults.story_edge_page(store, "s1", limit, offset)
        assert got == store.story_edge_page("s1", limit, offset)
    assert StoreDefaults.story_edge_page(store, "s1")[0] == 3  # the edge leaving the story counts
    ids = [a0, a1, a2, a3, a0]
    assert StoreDefaults.edges_among(store, ids) == store.edges_among(ids)
    assert StoreDefaults.edges_among(store, ids)[0] == 2
    assert StoreDefaults.story_links(store, "nope") == [] and StoreDefaults.story_edge_page(store, "nope") == (0, [])
    store.close()
