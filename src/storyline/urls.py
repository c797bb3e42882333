"""URLs: canonical form, registered domain, and the page's own ``<link rel=canonical>``. Pure functions.

:func:`canonical_url` is an identity key for a page: two addresses of the same page (tracking
parameters, AMP or mobile variant, default port, fragment, parameter order, trailing slash) give the
same string. It never raises and is idempotent. Only ``http``/``https`` URLs are rewritten; any other
string (a path, ``javascript:``, garbage) comes back unchanged.

:func:`registered_domain` uses tldextract with the public suffix list bundled in the package (never
downloaded): ``https://www.bbc.co.uk/news/x`` -> ``bbc.co.uk``.
"""

from __future__ import annotations

import html as _html
import re
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus, urljoin, urlsplit

# Query parameters that only say how a reader arrived (campaigns, click ids, referrers): dropped.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "ttclid",
        "mc_cid",
        "mc_eid",
        "mkt_tok",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "cmpid",
        "cmp",
        "icid",
        "ocid",
        "smid",
        "smtyp",
        "xtor",
        "ito",
        "s_cid",
        "s_kwcid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "hsctatracking",
        "oly_anon_id",
        "oly_enc_id",
        "rb_clickid",
        "vero_id",
        "vero_conv",
        "wt_mc",
        "spm",
        "at_medium",
        "at_campaign",
        "at_custom1",
        "at_custom2",
        "at_custom3",
        "at_custom4",
        "cid_source",
        "share_source",
        "sr_share",
    }
)
TRACKING_PREFIXES = ("utm_", "ns_", "pk_", "mtm_", "hsa_", "wt.", "oly_")
# Query parameters that ask for the AMP rendering of the same page: dropped.
AMP_PARAMS = frozenset({"amp", "_amp", "amp_js_v", "usqp"})
# Leading host labels of mobile / AMP / www variants of a site: folded away.
VARIANT_HOST_LABELS = frozenset({"www", "m", "mobile", "amp"})
DEFAULT_PORTS = {"http": "80", "https": "443"}

_HTTP = re.compile(r"^https?://", re.IGNORECASE)
_PORT = re.compile(r"^(.*?)(?::(\d*))?$", re.DOTALL)


@lru_cache(maxsize=1)
def _extractor() -> Any:
    """tldextract over its bundled suffix-list snapshot: no cache directory, no URL to fetch."""
    import tldextract

    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)


@lru_cache(maxsize=65536)
def _split_host(host: str) -> tuple[str, str, str]:
    """(subdomain, domain, suffix) of a host name."""
    ext = _extractor()(host)
    return ext.subdomain, ext.domain, ext.suffix


def _host_of(url: str) -> str:
    """The lower-cased host name of an http(s) URL ('' when there is none)."""
    try:
        netloc = urlsplit(url.strip()).netloc
    except ValueError:
        return ""
    host = netloc.rpartition("@")[2]
    if host.startswith("["):  # IPv6 literal
        return host.partition("]")[0] + "]"
    return _PORT.match(host).group(1).lower().strip(".")  # type: ignore[union-attr]


def registered_domain(url_or_host: str | None) -> str | None:
    """The domain a registrant owns (one label above the public suffix), lower-case; None for an IP address,
    a bare suffix, a non-web address or anything else without one. ``https://news.bbc.co.uk/x`` -> ``bbc.co.uk``."""
    if not url_or_host:
        return None
    s = url_or_host.strip()
    if _HTTP.match(s):
        host = _host_of(s)
    elif "/" in s or ":" in s or " " in s:
        return None  # a path, another scheme, free text
    else:
        host = s.lower().strip(".")
    if not host or host.startswith("["):
        return None
    try:
        _, domain, suffix = _split_host(host)
    except (ValueError, UnicodeError):  # idna rejects some labels
        return None
    return f"{domain}.{suffix}" if domain and suffix else None


def _fold_host(host: str) -> str:
    """Drop leading www. / m. / mobile. / amp. labels while a registered domain remains below them."""
    while True:
        label, dot, rest = host.partition(".")
        if not dot or label not in VARIANT_HOST_LABELS:
            return host
        try:
            sub, _, suffix = _split_host(host)
        except (ValueError, UnicodeError):
            return host
        if not sub or not suffix:  # the label is the registered domain itself (m.co.uk), or no known suffix
            return host
        host = rest


def _fold_path(path: str) -> str:
    """Drop ``amp`` path segments and a last segment's ``.amp`` suffix, then the trailing slash (root stays)."""
    while True:
        segments = path.split("/")
        last = segments[-1]
        low = last.lower()
        if low.endswith(".amp"):
            segments[-1] = last[:-4]
        elif ".amp." in low:  # story.amp.html -> story.html
            i = low.rindex(".amp.")
            segments[-1] = last[:i] + last[i + 4 :]
        segments = [s for k, s in enumerate(segments) if k == 0 or s.lower() != "amp"]
        new = "/".join(segments).rstrip("/") or "/"
        if not new.startswith("/"):
            new = "/" + new
        if new == path:
            return path
        path = new


def _param_name(part: str) -> str:
    return unquote_plus(part.partition("=")[0]).strip().lower()


def _keep_param(part: str) -> bool:
    name = _param_name(part)
    if not name or name in TRACKING_PARAMS or name in AMP_PARAMS or name.startswith(TRACKING_PREFIXES):
        return False
    return not (name == "outputtype" and unquote_plus(part.partition("=")[2]).strip().lower() == "amp")


def _fold_query(query: str) -> str:
    """Tracking and AMP parameters dropped, the rest sorted by name (then as written); values untouched."""
    parts = [p for p in query.split("&") if p and _keep_param(p)]
    return "&".join(sorted(parts, key=lambda p: (_param_name(p), p)))


def canonical_url(url: str) -> str:
    """The canonical form of an http(s) URL (see the module's doc); any other string is returned as it is."""
    if not isinstance(url, str) or not _HTTP.match(url.strip()):
        return url
    out = url
    for _ in range(4):  # a rewritten URL is canonical again (checked here, not assumed)
        nxt = _canonical_once(out)
        if nxt == out:
            break
        out = nxt
    return out


def _canonical_once(url: str) -> str:
    s = url.strip()
    if not _HTTP.match(s):
        return s
    try:
        parts = urlsplit(s)
        scheme = parts.scheme.lower()
        netloc = parts.netloc.rpartition("@")[2]  # credentials are not part of a page's identity
        m = _PORT.match(netloc)
        host, port = m.group(1).lower().strip("."), m.group(2)  # type: ignore[union-attr]
        if not host or not re.fullmatch(r"[^\s/?#@:\[\]]+|\[[0-9a-f:.]+\]", host):
            return s
        port = str(int(port)) if port else ""
        if port == DEFAULT_PORTS.get(scheme):
            port = ""
        host = _fold_host(host)
        path = _fold_path(parts.path or "/")
        query = _fold_query(parts.query)
        out = f"{scheme}://{host}{':' + port if port else ''}{path}{'?' + query if query else ''}"
        # what urlsplit would read back differently (odd bytes it drops or moves) is not rewritten
        return out if urlsplit(out).netloc == host + (":" + port if port else "") else s
    except (ValueError, UnicodeError):  # urlsplit's answer to malformed netlocs; idna to odd labels
        return s


def is_article_url(url: str | None) -> bool:
    """An http(s) URL with a path below the site's root (a home page is not one article's address)."""
    if not url or not _HTTP.match(url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return bool(parts.netloc) and parts.path.strip("/") != ""


# ----------------------------------------------------------------------------- the page's own canonical link

_LINK_TAG = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([a-zA-Z_:][-\w:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""")
_HEAD_END = re.compile(r"</head\s*>|<body\b", re.IGNORECASE)


def canonical_link(html: str, limit: int = 300_000) -> str | None:
    """The href of the page's ``<link rel="canonical">`` (in its head), as written; None if it has none."""
    head = html[:limit]
    end = _HEAD_END.search(head)
    if end is not None:
        head = head[: end.start()]
    for tag in _LINK_TAG.findall(head):
        attrs = {m.group(1).lower(): (m.group(2) or m.group(3) or m.group(4) or "") for m in _ATTR.finditer(tag)}
        if "canonical" in attrs.get("rel", "").lower().split() and attrs.get("href", "").strip():
            return _html.unescape(attrs["href"].strip())
    return None


def _same_site(declared: str, fetched: str) -> bool:
    """The declared address is on the fetched one's registered domain, and is not just the site's home page
    while the fetched one is a page below it."""
    domain = registered_domain(declared)
    return (
        domain is not None
        and domain == registered_domain(fetched)
        and (is_article_url(declared) or not is_article_url(fetched))
    )


def choose_url(fetched: str | None, declared: str | None) -> str | None:
    """The article's URL: the page's declared canonical address when it is on the fetched address's registered
    domain (or nothing was fetched), else the fetched one; canonicalised. A declared address that is the site's
    home page while the fetched one is not (a common misconfiguration) is ignored."""
    if declared and fetched:
        try:
            declared = urljoin(fetched.strip(), declared.strip())
        except ValueError:
            declared = None
    if declared and not _HTTP.match(declared.strip()):
        declared = None
    chosen = fetched.strip() if fetched else None
    if declared and (not fetched or _same_site(declared, fetched)):
        chosen = declared
    return canonical_url(chosen) if chosen else None
