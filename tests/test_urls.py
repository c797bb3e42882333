"""Canonical URLs, registered domains (bundled suffix list, no network) and the page's canonical link."""

from __future__ import annotations

import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storyline import urls
from storyline.urls import (
    canonical_link,
    canonical_url,
    choose_url,
    is_article_url,
    registered_domain,
)

EXAMPLES = [
    ("https://www.bbc.co.uk/news/world-1", "https://bbc.co.uk/news/world-1"),
    ("HTTPS://WWW.Example.COM:443/a/B/", "https://example.com/a/B"),
    ("http://example.com:80/x", "http://example.com/x"),
    ("http://example.com:8080/x", "http://example.com:8080/x"),
    ("https://example.com/x#comments", "https://example.com/x"),
    ("https://example.com/x?utm_source=tw&utm_medium=social&fbclid=IwAR0&id=7", "https://example.com/x?id=7"),
    ("https://example.com/x?gclid=1&mc_cid=2&mc_eid=3&ref=home&cmpid=rss&b=2&a=1", "https://example.com/x?a=1&b=2"),
    ("https://example.com/x?UTM_Campaign=spring&page=2", "https://example.com/x?page=2"),
    ("https://m.example.com/news/story-1", "https://example.com/news/story-1"),
    ("https://mobile.example.com/news/story-1", "https://example.com/news/story-1"),
    ("https://amp.theguardian.com/world/2024/mar/12/story", "https://theguardian.com/world/2024/mar/12/story"),
    ("https://www.bbc.com/news/amp/world-1", "https://bbc.com/news/world-1"),
    ("https://example.com/2024/03/story/amp/", "https://example.com/2024/03/story"),
    ("https://example.com/story.amp", "https://example.com/story"),
    ("https://example.com/story.amp.html", "https://example.com/story.html"),
    ("https://example.com/story?amp", "https://example.com/story"),
    ("https://example.com/story?amp=1&x=2", "https://example.com/story?x=2"),
    ("https://www.washingtonpost.com/world/story/?outputType=amp", "https://washingtonpost.com/world/story"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com/?", "https://example.com/"),
    ("https://user:secret@example.com/x", "https://example.com/x"),
    ("https://example.com./x", "https://example.com/x"),
    ("  https://example.com/x  ", "https://example.com/x"),
    ("https://m.co.uk/x", "https://m.co.uk/x"),  # "m" is the registered domain here, not a mobile prefix
    ("https://www.smh.com.au/world/story-20240312-p5/", "https://smh.com.au/world/story-20240312-p5"),
    ("https://example.com/search?q=a+b&q=c", "https://example.com/search?q=a+b&q=c"),
    # not http(s): returned as given
    ("javascript:alert(4)", "javascript:alert(4)"),
    ("/local/path.html", "/local/path.html"),
    ("", ""),
    ("ftp://example.com/x", "ftp://example.com/x"),
]


@pytest.mark.parametrize("raw,expected", EXAMPLES)
def test_canonical_url_examples(raw, expected):
    assert canonical_url(raw) == expected
    assert canonical_url(expected) == expected


def test_variants_of_one_page_meet():
    variants = [
        "https://www.example.com/news/2024/03/12/budget-vote",
        "http://www.example.com:80/news/2024/03/12/budget-vote".replace("http:", "https:").replace(":80", ":443"),
        "https://example.com/news/2024/03/12/budget-vote/?utm_source=twitter&utm_medium=social",
        "https://m.example.com/news/2024/03/12/budget-vote#top",
        "https://amp.example.com/news/2024/03/12/budget-vote/amp/",
        "https://www.example.com/news/2024/03/12/budget-vote?amp=1&fbclid=abc",
    ]
    assert len({canonical_url(v) for v in variants}) == 1


_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=8)
_host = st.builds(
    lambda pre, name, suf: ".".join([*pre, name, suf]),
    st.lists(st.sampled_from(["www", "m", "mobile", "amp", "news", "edition"]), max_size=2),
    _label,
    st.sampled_from(["com", "co.uk", "com.au", "org", "ru", "ir", "example", "localhost"]),
)
_segment = st.one_of(
    st.sampled_from(["amp", "AMP", "news", "story.amp", "a.amp.html", "", "index.html", "%20x"]),
    st.text(alphabet="abcXYZ019-_.~%:@!$&'()*+,;=", max_size=6),
)
_param = st.one_of(
    st.sampled_from(
        [
            "utm_source=x",
            "fbclid=1",
            "ref=home",
            "amp",
            "outputType=amp",
            "id=3",
            "a=",
            "=x",
            "Q=%41",
            "b=1&c=2",
            "UTM_TERM=y",
        ]
    ),
    st.builds(
        lambda k, v: f"{k}={v}",
        st.text(alphabet="abcz_", min_size=1, max_size=4),
        st.text(alphabet="xyz019%+=?/", max_size=4),
    ),
)


@st.composite
def url_like(draw, valid: bool = False) -> str:
    """http(s) URLs built from tricky parts; ``valid``: with a well-formed port (others are left as given)."""
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080", ":", ":0443"] + ([] if valid else [":x", ":99x"])))
    user = draw(st.sampled_from(["", "user@", "u:p@"]))
    path = "/".join(draw(st.lists(_segment, max_size=5)))
    query = "&".join(draw(st.lists(_param, max_size=5)))
    frag = draw(st.sampled_from(["", "#", "#top", "#!/route"]))
    return f"{scheme}://{user}{draw(_host)}{port}/{path}{'?' + query if query else ''}{frag}"


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        url_like(),
        st.text(max_size=80),
        st.text(alphabet="htps:/?#&=.%[]@ amp", max_size=40).map(lambda s: "https://" + s),
    )
)
def test_property_canonical_url_is_idempotent_and_never_raises(raw):
    once = canonical_url(raw)
    assert isinstance(once, str)
    assert canonical_url(once) == once


@settings(max_examples=200, deadline=None)
@given(url_like(valid=True), st.randoms(use_true_random=False))
def test_property_tracking_dropped_and_parameter_order_irrelevant(raw, rnd):
    out = canonical_url(raw)
    query = out.partition("?")[2]
    names = [p.partition("=")[0].lower() for p in query.split("&") if p]
    assert not any(n.startswith("utm_") or n in ("fbclid", "ref", "amp") for n in names), out
    assert "#" not in out
    base, _, q = raw.partition("#")[0].partition("?")
    parts = q.split("&")
    rnd.shuffle(parts)
    assert canonical_url(base + ("?" + "&".join(parts) if q else "")) == out


def test_registered_domain_multi_part_suffixes():
    assert registered_domain("https://www.bbc.co.uk/news/x") == "bbc.co.uk"
    assert registered_domain("https://news.bbc.co.uk/x") == "bbc.co.uk"
    assert registered_domain("https://www.smh.com.au/world") == "smh.com.au"
    assert registered_domain("https://www3.nhk.or.jp/news/") == "nhk.or.jp"
    assert registered_domain("https://edition.cnn.com/2024/x") == "cnn.com"
    assert registered_domain("https://www.irna.ir/news/1") == "irna.ir"
    assert registered_domain("WWW.Example.COM") == "example.com"
    assert registered_domain("https://user@Example.org:8443/x") == "example.org"
    for none in (
        "https://127.0.0.1/x",
        "http://localhost:8000/",
        "javascript:alert(1)",
        "co.uk",
        "",
        None,
        "/tmp/article.html",
        "https://[::1]/x",
        "not a url",
    ):
        assert registered_domain(none) is None, none


def test_suffix_list_is_the_bundled_one_no_network(monkeypatch):
    """tldextract reads its bundled snapshot: with every socket refused and no cache, domains still resolve."""

    def refuse(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    urls._extractor.cache_clear()
    urls._split_host.cache_clear()
    try:
        assert registered_domain("https://www.bbc.co.uk/news/x") == "bbc.co.uk"
        assert registered_domain("https://www.abc.net.au/news") == "abc.net.au"
        assert canonical_url("https://m.bbc.co.uk/news/x?utm_source=a") == "https://bbc.co.uk/news/x"
        assert urls._extractor().suffix_list_urls == ()
    finally:
        urls._extractor.cache_clear()
        urls._split_host.cache_clear()


def test_canonical_link_in_the_head():
    page = (
        "<html><head><link rel='stylesheet' href='/a.css'>"
        '<LINK HREF="https://example.com/news/story?x=1&amp;y=2" REL="Canonical"></head>'
        "<body><link rel=canonical href=/not-this></body></html>"
    )
    assert canonical_link(page) == "https://example.com/news/story?x=1&y=2"
    assert canonical_link("<head><link rel=canonical href=/news/x></head>") == "/news/x"
    assert canonical_link("<head><link rel=alternate href=/x></head><body>") is None
    assert canonical_link("<body><link rel=canonical href=/x>") is None  # only the head's counts
    assert canonical_link("") is None


def test_choose_url_honours_a_canonical_on_the_same_site_only():
    fetched = "https://amp.example.com/news/story/amp/?utm_source=x"
    assert choose_url(fetched, "https://www.example.com/news/story") == "https://example.com/news/story"
    assert choose_url(fetched, "/news/story-canonical") == "https://example.com/news/story-canonical"  # relative
    assert choose_url(fetched, "https://other.org/news/story") == "https://example.com/news/story"  # other site
    assert choose_url(fetched, "https://www.example.com/") == "https://example.com/news/story"  # the home page
    assert choose_url(fetched, "javascript:void(0)") == "https://example.com/news/story"
    assert choose_url(None, "https://www.example.com/news/story") == "https://example.com/news/story"
    assert choose_url(None, None) is None
    assert choose_url("javascript:alert(4)", None) == "javascript:alert(4)"


def test_is_article_url():
    assert is_article_url("https://example.com/news/x")
    assert not is_article_url("https://example.com/")
    assert not is_article_url("https://example.com")
    assert not is_article_url("javascript:alert(1)")
    assert not is_article_url(None)
