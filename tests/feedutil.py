"""Helpers for the feed tests: real article text (examples/seeds) as HTML pages, generated RSS / Atom feeds and
sitemaps, and a tiny HTTP server on 127.0.0.1 that serves them, counts requests and can misbehave on cue."""

from __future__ import annotations

import gzip
import threading
from dataclasses import dataclass, field
from email.utils import formatdate
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[1] / "examples" / "seeds"
DATES = [
    "2022-01-22T09:00:00+00:00",
    "2022-01-23T10:30:00+00:00",
    "2022-01-24T08:15:00+00:00",
    "2022-01-25T12:00:00+00:00",
    "2022-01-26T16:45:00+00:00",
    "2022-01-27T07:05:00+00:00",
]


def seed_texts() -> list[tuple[str, list[str]]]:
    """(title, paragraphs) of each seed article, plus a sixth made of the second half of the longest one."""
    out = []
    for p in sorted(SEEDS.glob("*.txt")):
        blocks = [b.strip() for b in p.read_text(encoding="utf-8").split("\n\n") if b.strip()]
        title = blocks[0]
        paras = [b for b in blocks[1:] if b != title and len(b.split()) > 8]
        out.append((title, paras))
    title, paras = max(out, key=lambda t: sum(len(p.split()) for p in t[1]))
    out.append((f"{title}: what comes next", paras[len(paras) // 2 :]))
    return out


def article_html(title: str, paragraphs: list[str], date: str) -> str:
    body = "".join(f"<p>{escape(p)}</p>\n" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<meta property='article:published_time' content='{date}'></head><body>"
        f"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{escape(title)}</h1>\n{body}</article><footer>© Example News</footer></body></html>"
    )


def rss(items: list[dict], title: str = "Example News") -> str:
    """RSS 2.0; an item: link, title, and optionally date (ISO), summary, content (full HTML)."""
    parts = []
    for it in items:
        x = f"<item><title>{escape(it['title'])}</title><link>{escape(it['link'])}</link>"
        if it.get("date"):
            from datetime import datetime

            x += f"<pubDate>{formatdate(datetime.fromisoformat(it['date']).timestamp(), usegmt=True)}</pubDate>"
        if it.get("summary"):
            x += f"<description>{escape(it['summary'])}</description>"
        if it.get("content"):
            x += f"<content:encoded><![CDATA[{it['content']}]]></content:encoded>"
        parts.append(x + "</item>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{escape(title)}</title><link>http://example.org/</link>\n" + "\n".join(parts) + "\n</channel></rss>"
    )


def atom(items: list[dict], title: str = "Example Wire") -> str:
    parts = []
    for it in items:
        x = f"<entry><title>{escape(it['title'])}</title><link rel='alternate' href='{escape(it['link'])}'/>"
        x += f"<id>{escape(it['link'])}</id><updated>{it.get('date') or '2022-01-01T00:00:00Z'}</updated>"
        if it.get("summary"):
            x += f"<summary>{escape(it['summary'])}</summary>"
        parts.append(x + "</entry>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:example</id><updated>2022-01-27T00:00:00Z</updated>\n"
        + "\n".join(parts)
        + "\n</feed>"
    )


def sitemap(urls: list[tuple[str, str | None]], news_titles: dict[str, str] | None = None) -> str:
    news_titles = news_titles or {}
    parts = []
    for loc, lastmod in urls:
        x = f"<url><loc>{escape(loc)}</loc>" + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "")
        if loc in news_titles:
            x += f"<news:news><news:title>{escape(news_titles[loc])}</news:title></news:news>"
        parts.append(x + "</url>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n' + "\n".join(parts) + "\n</urlset>"
    )


def sitemap_index(locs: list[str]) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(f"<sitemap><loc>{escape(u)}</loc></sitemap>" for u in locs)
        + "</sitemapindex>"
    )


def gz(text: str) -> bytes:
    return gzip.compress(text.encode("utf-8"))


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    script: list[int] = field(default_factory=list)  # statuses answered first, one per request (then 200)
    retry_after: str | None = None  # sent with a scripted 429/503
    location: str | None = None  # a redirect (status 302)
    send_length: bool = True  # False: no Content-Length (the body is streamed until the connection closes)
    repeat: int = 1  # the body is sent this many times (a huge page without building it in memory)
    headers: dict[str, str] = field(default_factory=dict)  # more response headers


class FeedServer:
    """ThreadingHTTPServer on 127.0.0.1 (a free port) serving ``routes``; ``hits[path]`` counts requests and
    ``requests`` keeps (path, headers); ``sent[path]`` counts body bytes actually written."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.sent: dict[str, int] = {}
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path
                with server.lock:
                    server.requests.append((path, {k.lower(): v for k, v in self.headers.items()}))
                    route = server.routes.get(path)
                    status = route.script.pop(0) if route is not None and route.script else None
                if route is None:
                    return self._send(404, b"not found", "text/plain")
                if status is not None:
                    extra = {"Retry-After": route.retry_after} if route.retry_after else {}
                    return self._send(status, b"busy", "text/plain", extra)
                if route.location:
                    return self._send(302, b"", "text/plain", {"Location": route.location})
                etag_hit = route.etag and self.headers.get("If-None-Match") == route.etag
                date_hit = route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified
                if etag_hit or (date_hit and not route.etag):
                    return self._send(304, b"", None, self._validators(route))
                self._send(200, route.body, route.content_type, {**self._validators(route), **route.headers}, route)

            def _validators(self, route: Route) -> dict[str, str]:
                out = {}
                if route.etag:
                    out["ETag"] = route.etag
                if route.last_modified:
                    out["Last-Modified"] = route.last_modified
                return out

            def _send(self, status, body, ctype, headers=None, route: Route | None = None) -> None:
                repeat = route.repeat if route else 1
                self.send_response(status)
                if ctype:
                    self.send_header("Content-Type", ctype)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                if route is None or route.send_length:
                    self.send_header("Content-Length", str(len(body) * repeat))
                self.send_header("Connection", "close")
                self.end_headers()
                if status == 304:
                    return
                try:
                    for _ in range(repeat):
                        self.wfile.write(body)
                        with server.lock:
                            server.sent[self.path] = server.sent.get(self.path, 0) + len(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, body: str | bytes = b"", **kw) -> Route:
        route = Route(body=body.encode("utf-8") if isinstance(body, str) else body, **kw)
        self.routes[path] = route
        return route

    def hits(self, path: str) -> int:
        with self.lock:
            return sum(1 for p, _ in self.requests if p == path)

    def headers_of(self, path: str) -> list[dict[str, str]]:
        with self.lock:
            return [h for p, h in self.requests if p == path]


def http_date(ts: float = 1643011200.0) -> str:
    return formatdate(ts, usegmt=True)
