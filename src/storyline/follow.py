"""Follow feeds and sitemaps: poll them, fetch their new entries' pages, send the pages through the Pipeline.

One poll reads every feed (an RSS/Atom feed, a sitemap, a sitemap index, gzipped or not; a URL or a file),
collects the links it has not fetched before, fetches at most ``max_pages`` of them and ingests the pages
with the same :class:`~storyline.pipeline.Pipeline` as ``watch``. Politeness and safety of the fetcher:
timeouts, a size cap (reading stops there), a redirect limit, HTML pages only, a delay between two requests
to one host, exponential back-off on timeouts, connection errors, 429 and 5xx (honouring Retry-After), and
conditional requests (ETag / Last-Modified) for feeds.

Everything remembered lives in the store's key-value state, so a restarted follower goes on where it
stopped: ``follow:feed:<url>`` (a feed's validators), ``follow:page:<url>`` (a page fetched, and what
became of it), ``follow:pending`` (links found but not fetched yet: over ``max_pages``, or failed with a
passing error). URLs are compared normalised by :func:`normalise_url` (a local, simple normaliser: the
outlets/canonical-URL work lives elsewhere). A page whose content is already stored is one article: the
pipeline's content id makes it a duplicate.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx

from .config import FollowConfig
from .feeds import FeedEntry, FeedError, ParsedFeed, entry_document, parse_feed
from .ingest import DecodeError, decode_bytes
from .pipeline import IngestReport, Pipeline

HTML_TYPES = {"text/html", "application/xhtml+xml"}
RETRY_STATUS = {429, 500, 502, 503, 504}
REDIRECT_STATUS = {301, 302, 303, 307, 308}
TRACKING_PARAMS = {"fbclid", "gclid", "mc_cid", "mc_eid"}  # and every utm_* parameter
PENDING_KEY = "follow:pending"


def normalise_url(url: str) -> str:
    """The URL used to recognise a page already fetched: scheme and host lower-cased, default port and
    fragment dropped, tracking parameters (``utm_*``, fbclid, gclid) removed, an empty path made ``/``."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # e.g. a port that is not a number: left as it is (fetching it is an error)
        return url.strip().split("#", 1)[0]
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    host = f"[{host}]" if ":" in host else host  # IPv6
    port = port if port and (scheme, port) not in (("http", 80), ("https", 443)) else None
    netloc = (f"{parts.username}@" if parts.username else "") + host + (f":{port}" if port else "")
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS
    ]
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))


class FetchError(Exception):
    """A request that gave no usable response. ``transient``: worth trying again on a later poll;
    ``skip``: a response that is fine but not for us (not HTML)."""

    def __init__(self, url: str, reason: str, transient: bool = False, skip: bool = False):
        super().__init__(f"{url}: {reason}")
        self.url, self.reason, self.transient, self.skip = url, reason, transient, skip


class AlreadyFetched(FetchError):
    """A redirect to a page fetched before: not requested again."""


@dataclass
class Response:
    url: str  # the final URL, after redirects
    status: int  # 200, or 304 (not modified: no body)
    body: bytes = b""
    content_type: str = ""
    charset: str | None = None
    validators: dict[str, str] = field(default_factory=dict)  # etag / last_modified, for the next request


def _retry_after(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError, IndexError):
        return None


class Fetcher:
    """GET with the follower's limits (see the module doc). ``sleep`` waits (tests make it instant or
    record it; the follower makes it wake up on stop)."""

    def __init__(
        self,
        config: FollowConfig,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ):
        self.config = config
        self.sleep, self.clock = sleep, clock
        self.client = httpx.Client(
            timeout=httpx.Timeout(config.timeout_s),
            follow_redirects=False,  # followed here, hop by hop
            headers={"User-Agent": config.user_agent},
            transport=transport,
        )
        self._next_ok: dict[str, float] = {}  # host -> monotonic time of its next allowed request

    def close(self) -> None:
        self.client.close()

    def _wait_for(self, host: str) -> None:
        delay = self._next_ok.get(host, 0.0) - self.clock()
        if delay > 0:
            self.sleep(delay)

    def _hold(self, host: str, seconds: float) -> None:
        self._next_ok[host] = max(self._next_ok.get(host, 0.0), self.clock() + seconds)

    def get(
        self,
        url: str,
        *,
        max_bytes: int,
        validators: dict[str, str] | None = None,
        html_only: bool = False,
        known: Callable[[str], bool] | None = None,
    ) -> Response:
        """The response to a GET, redirects followed one hop at a time (at most ``max_redirects``; a hop to
        a URL for which ``known`` says True is not requested: :class:`AlreadyFetched`). Passing errors
        are retried with back-off. Raises :class:`FetchError` naming ``url``."""
        headers = {}
        if validators and validators.get("etag"):
            headers["If-None-Match"] = validators["etag"]
        if validators and validators.get("last_modified"):
            headers["If-Modified-Since"] = validators["last_modified"]
        target = url
        for _hop in range(self.config.max_redirects + 1):
            out = self._get_one(url, target, headers, max_bytes, html_only)
            if isinstance(out, Response):
                return out
            target = urljoin(target, out)
            if urlsplit(target).scheme.lower() not in ("http", "https"):
                raise FetchError(url, f"redirected to a non-http(s) URL ({target})")
            if known is not None and known(target):
                raise AlreadyFetched(url, f"redirected to {target}, already fetched")
        raise FetchError(url, f"too many redirects (more than {self.config.max_redirects})")

    def _get_one(
        self, url: str, target: str, headers: dict[str, str], max_bytes: int, html_only: bool
    ) -> Response | str:
        """One URL (retried with back-off): the response, or the Location of a redirect."""
        cfg = self.config
        host = (urlsplit(target).hostname or "").lower()
        tries = cfg.retries + 1
        for attempt in range(tries):
            self._wait_for(host)
            wait = min(cfg.max_backoff_s, cfg.backoff_s * 2**attempt)
            try:
                with self.client.stream("GET", target, headers=headers) as r:
                    self._hold(host, cfg.host_delay_s)
                    if r.status_code in REDIRECT_STATUS and r.headers.get("Location"):
                        return r.headers["Location"]
                    if r.status_code not in RETRY_STATUS:
                        return self._read(url, r, max_bytes, html_only)
                    reason = f"HTTP {r.status_code} {r.reason_phrase}".strip()
                    after = _retry_after(r.headers.get("Retry-After"), time.time())
                    wait = min(cfg.max_backoff_s, after) if after is not None else wait
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                raise FetchError(url, f"cannot fetch {target}: {exc}") from exc
            except httpx.TimeoutException:
                reason = f"timed out (after {cfg.timeout_s:g} s)"
            except httpx.TransportError as exc:
                reason = f"connection failed ({type(exc).__name__}: {exc})"
            except httpx.RequestError as exc:  # e.g. a body that does not match its Content-Encoding
                raise FetchError(url, f"bad response from {target} ({type(exc).__name__}: {exc})") from exc
            if attempt + 1 < tries:
                self._hold(host, wait)
        raise FetchError(url, f"{reason}, {tries} tries", transient=True)

    def _read(self, url: str, r: httpx.Response, max_bytes: int, html_only: bool) -> Response:
        final = str(r.url)
        validators = {
            k: v for k, v in (("etag", r.headers.get("ETag")), ("last_modified", r.headers.get("Last-Modified"))) if v
        }
        if r.status_code == 304:
            return Response(final, 304, validators=validators)
        if r.status_code != 200:
            raise FetchError(url, f"HTTP {r.status_code} {r.reason_phrase}".strip())
        ctype = r.headers.get("Content-Type", "")
        media = ctype.split(";", 1)[0].strip().lower()
        if html_only and media and media not in HTML_TYPES:
            raise FetchError(url, f"not an HTML page (content type {media})", skip=True)
        length = r.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > max_bytes:
            raise FetchError(url, f"too large: {int(length):,} bytes announced > limit {max_bytes:,}")
        buf = bytearray()
        for chunk in r.iter_bytes():
            buf += chunk
            if len(buf) > max_bytes:  # stop reading: the rest is never downloaded
                raise FetchError(url, f"too large: more than the limit of {max_bytes:,} bytes (stopped reading)")
        return Response(final, 200, bytes(buf), media, r.charset_encoding, validators)


@dataclass
class PollReport:
    """What one poll did."""

    feeds: int = 0  # feeds and sitemaps read
    not_modified: int = 0  # feeds that answered 304 Not Modified
    links: int = 0  # entry links found (and pending ones from earlier polls)
    repeated: int = 0  # links found more than once in this poll (fetched once)
    seen: int = 0  # links fetched on an earlier poll (or redirected to such a page): not fetched again
    fetched: int = 0  # pages fetched
    deferred: int = 0  # new links left for the next poll (over max_pages)
    ingest: IngestReport = field(default_factory=IngestReport)  # stored, duplicates, rejected by the cleaner
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (url, reason): not HTML, not http(s)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (feed or page url, reason)

    def to_dict(self) -> dict[str, Any]:
        ing = self.ingest
        return {
            "feeds": self.feeds,
            "not_modified": self.not_modified,
            "links": self.links,
            "repeated": self.repeated,
            "seen": self.seen,
            "fetched": self.fetched,
            "deferred": self.deferred,
            "stored": [r.article_id for r in ing.stored],
            "duplicates": [{"source": s, "article_id": a} for s, a in ing.duplicates],
            "rejected": [{"source": r.source, "reason": r.reason} for r in ing.rejected],
            "skipped": [{"url": u, "reason": r} for u, r in self.skipped],
            "errors": [{"source": u, "reason": r} for u, r in self.errors],
        }

    def summary_lines(self) -> list[str]:
        """A one-line summary, then one line per duplicate, skip, rejection and error (plain text)."""
        ing = self.ingest
        lines = [
            f"feeds {self.feeds} (not modified {self.not_modified}) · links {self.links} "
            f"(repeated {self.repeated}) · "
            f"already fetched {self.seen} · fetched {self.fetched} · stored {len(ing.stored)} · "
            f"duplicates {len(ing.duplicates)} · skipped {len(self.skipped)} · "
            f"rejected {len(ing.rejected)} · errors {len(self.errors)}"
            + (f" · left for the next poll {self.deferred}" if self.deferred else "")
        ]
        lines += [f"  duplicate {s}: already stored as {a}" for s, a in ing.duplicates]
        lines += [f"  skipped {u}: {r}" for u, r in self.skipped]
        lines += [f"  rejected {r.source}: {r.reason}" for r in ing.rejected]
        lines += [f"  error {u}: {r}" for u, r in self.errors]
        return lines


def _entry_json(e: FeedEntry, tries: int = 0) -> dict[str, Any]:
    return {"link": e.link, "title": e.title, "date": e.date, "tries": tries}


class Follower:
    """Polls ``sources`` (feed/sitemap URLs or files) and ingests their new pages through ``pipeline``."""

    def __init__(
        self,
        pipeline: Pipeline,
        sources: Iterable[str],
        config: FollowConfig | None = None,
        fetcher: Fetcher | None = None,
        stop: threading.Event | None = None,
        on_progress: Callable[[str], None] | None = None,
    ):
        self.pipeline = pipeline
        self.store = pipeline.store
        self.sources = list(dict.fromkeys(sources))
        self.config = config or pipeline.config.follow
        self.stop = stop or threading.Event()
        self.fetcher = fetcher or Fetcher(self.config, sleep=self.stop.wait)
        self.on_progress = on_progress or (lambda message: None)

    def close(self) -> None:
        self.fetcher.close()

    # -- state ------------------------------------------------------------------------------
    def _state(self, key: str) -> Any:
        raw = self.store.get_state(key)
        return json.loads(raw) if raw else None

    def _put(self, items: dict[str, Any]) -> None:
        with self.store.transaction():
            for key, value in items.items():
                self.store.put_state(key, json.dumps(value).encode())

    # -- feeds ------------------------------------------------------------------------------
    def _read_feed(self, source: str, report: PollReport, updates: dict[str, Any]) -> ParsedFeed | None:
        """The feed, or None (an error, now in ``report``). A feed URL answering 304 comes back without
        entries, but a sitemap index with the child sitemaps it listed last time (they may have changed)."""
        cfg = self.config
        is_url = urlsplit(source).scheme.lower() in ("http", "https")
        try:
            if not is_url:
                path = Path(source)
                if not path.is_file():
                    report.errors.append((source, "no such file (and not an http(s) URL)"))
                    return None
                if path.stat().st_size > cfg.max_feed_bytes:
                    report.errors.append((source, f"too large (> limit {cfg.max_feed_bytes:,} bytes)"))
                    return None
                feed = parse_feed(path.read_bytes(), source, max_bytes=cfg.max_feed_bytes)
            else:
                key = f"follow:feed:{normalise_url(source)}"
                known = self._state(key) or {}
                resp = self.fetcher.get(source, max_bytes=cfg.max_feed_bytes, validators=known)
                if resp.status == 304:
                    report.not_modified += 1
                    self.on_progress(f"not modified {source}")
                    if known.get("sitemaps"):  # an unchanged index: its sitemaps are still read
                        return ParsedFeed(source, "sitemapindex", sitemaps=known["sitemaps"])
                    return None
                feed = parse_feed(resp.body, source, base_url=resp.url, max_bytes=cfg.max_feed_bytes)
                # saved with the pending links, once the entries are safe
                updates[key] = {**resp.validators, **({"sitemaps": feed.sitemaps} if feed.sitemaps else {})}
        except FetchError as exc:
            report.errors.append((source, exc.reason))
            return None
        except FeedError as exc:
            report.errors.append((source, str(exc)))
            return None
        except OSError as exc:
            report.errors.append((source, f"cannot read: {exc.strerror or exc}"))
            return None
        report.feeds += 1
        if feed.error:
            report.errors.append((source, feed.error))
        self.on_progress(f"read {source}: {feed.kind}, {len(feed.entries) or len(feed.sitemaps)} entries")
        return feed

    def _collect(self, report: PollReport, updates: dict[str, Any]) -> list[tuple[FeedEntry, int]]:
        """Every link of every feed (sitemap indexes followed, at most ``max_sitemaps``), pending ones first."""
        entries = [
            (FeedEntry(link=p["link"], title=p.get("title"), date=p.get("date")), int(p.get("tries", 0)))
            for p in self._state(PENDING_KEY) or []
        ]
        queue, visited, children = list(self.sources), set(), 0
        while queue and not self.stop.is_set():
            source = queue.pop(0)
            if normalise_url(source) in visited:
                continue
            visited.add(normalise_url(source))
            feed = self._read_feed(source, report, updates)
            if feed is None:
                continue
            entries += [(e, 0) for e in feed.entries]
            for child in feed.sitemaps:
                if children >= self.config.max_sitemaps:
                    limit = self.config.max_sitemaps
                    reason = f"lists more than {limit} sitemaps (max_sitemaps); the rest were not read"
                    report.errors.append((source, reason))
                    break
                children += 1
                queue.append(child)
        return entries

    # -- one poll ---------------------------------------------------------------------------
    def poll(self) -> PollReport:
        """Read the feeds, fetch up to ``max_pages`` new pages, ingest them; remember what was done."""
        cfg = self.config
        report = PollReport()
        updates: dict[str, Any] = {}
        found = self._collect(report, updates)
        report.links = len(found)
        todo: list[tuple[str, FeedEntry, int]] = []
        this_poll: set[str] = set()
        for entry, tries in found:
            norm = normalise_url(entry.link)
            if urlsplit(norm).scheme not in ("http", "https"):
                report.skipped.append((entry.link, "not an http(s) link"))
            elif norm in this_poll:
                report.repeated += 1
            elif self.store.get_state(f"follow:page:{norm}") is not None:
                report.seen += 1
            else:
                todo.append((norm, entry, tries))
            this_poll.add(norm)
        later = todo[cfg.max_pages :]
        todo = todo[: cfg.max_pages]
        report.deferred = len(later)
        # links not fetched yet are saved with the feeds' new validators: a feed answering 304 next time
        # (or a killed follower) loses none of them
        updates[PENDING_KEY] = [_entry_json(e, t) for _, e, t in todo + later]
        self._put(updates)
        retry: list[dict[str, Any]] = []
        for i in range(0, len(todo), max(1, cfg.batch_pages)):
            if self.stop.is_set():
                retry += [_entry_json(e, t) for _, e, t in todo[i:]]
                break
            retry += self._fetch_batch(todo[i : i + max(1, cfg.batch_pages)], report, this_poll)
        self._put({PENDING_KEY: retry + [_entry_json(e, t) for _, e, t in later]})
        return report

    def _fetch_batch(
        self, batch: list[tuple[str, FeedEntry, int]], report: PollReport, this_poll: set[str]
    ) -> list[dict[str, Any]]:
        """Fetch and ingest some pages; mark them fetched. Returns the ones to try again on a later poll."""
        cfg = self.config
        docs, records, retry = [], {}, []
        finals: dict[str, list[str]] = {}  # final URL (the document's source) -> normalised links

        def known(url: str) -> bool:  # a redirect target fetched before, or found in this poll
            n = normalise_url(url)
            return n in this_poll or self.store.get_state(f"follow:page:{n}") is not None

        for norm, entry, tries in batch:
            if self.stop.is_set():  # stopping: what is left waits for the next run
                retry.append(_entry_json(entry, tries))
                continue
            try:
                resp = self.fetcher.get(entry.link, max_bytes=cfg.max_page_bytes, html_only=True, known=known)
                final = normalise_url(resp.url)
                this_poll.add(final)
                text = resp.body.decode(resp.charset, errors="replace") if resp.charset else decode_bytes(resp.body)
            except AlreadyFetched as exc:
                report.seen += 1
                records[norm] = {"status": "seen", "reason": exc.reason}
                continue
            except FetchError as exc:
                if exc.transient and tries + 1 < cfg.retry_polls:
                    retry.append(_entry_json(entry, tries + 1))
                    report.errors.append((entry.link, exc.reason + "; tried again on the next poll"))
                elif exc.skip:
                    report.skipped.append((entry.link, exc.reason))
                    records[norm] = {"status": "skipped", "reason": exc.reason}
                else:
                    report.errors.append((entry.link, exc.reason))
                    records[norm] = {"status": "error", "reason": exc.reason}
                self.on_progress(f"{'skipped' if exc.skip else 'error'} {entry.link}: {exc.reason}")
                continue
            except (LookupError, DecodeError) as exc:  # an unknown charset name, or undecodable bytes
                report.errors.append((entry.link, f"cannot decode the page: {exc}"))
                records[norm] = {"status": "error", "reason": str(exc)}
                continue
            report.fetched += 1
            self.on_progress(f"fetched {resp.url} ({len(resp.body):,} bytes)")
            docs.append(entry_document(dataclasses.replace(entry, link=resp.url), source=resp.url, html=text))
            finals.setdefault(resp.url, []).extend(dict.fromkeys([norm, final]))
        if docs:
            ing = self.pipeline.ingest(docs)
            report.ingest.merge(ing)
            outcome = {r.source: {"status": "stored", "article_id": r.article_id} for r in ing.stored}
            outcome.update({s: {"status": "duplicate", "article_id": a} for s, a in ing.duplicates})
            outcome.update({r.source: {"status": "rejected", "reason": r.reason} for r in ing.rejected})
            for url, norms in finals.items():
                for n in norms:
                    records[n] = outcome.get(url, {"status": "fetched"})
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self._put({f"follow:page:{n}": {**rec, "at": now} for n, rec in records.items()})
        return retry

    def run(self, interval: float | None = None, on_report: Callable[[PollReport], None] | None = None) -> None:
        """Poll every ``interval`` seconds until :attr:`stop` is set."""
        interval = self.config.interval_s if interval is None else interval
        while not self.stop.is_set():
            report = self.poll()
            if on_report:
                on_report(report)
            self.stop.wait(interval)
