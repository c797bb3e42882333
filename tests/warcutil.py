"""Test helpers: WARC files built in memory with warcio's writer, and the seeds as web pages."""

from __future__ import annotations

import html
import io

WARC_DATE = "2023-05-06T07:08:09Z"


def _seed_html(text: str) -> str:
    """A seed (plain text: title line, then paragraphs) as a simple web page."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in lines[1:])
    title = html.escape(lines[0])
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>{title}</h1>{paras}</article><footer>Contact us</footer></body></html>"
    )


class Warc:
    """Builds a WARC in memory with warcio's writer; ``offsets`` are where each record starts."""

    def __init__(self, gz: bool = True):
        from warcio.warcwriter import WARCWriter

        self.buf, self.gz = io.BytesIO(), gz
        self.w = WARCWriter(self.buf, gzip=gz)
        self.offsets: list[int] = []

    def _write(self, rec) -> int:
        self.offsets.append(self.buf.tell())
        self.w.write_record(rec)
        return len(self.offsets)

    def response(
        self,
        url: str,
        body: bytes | str,
        ctype: str = "text/html; charset=utf-8",
        status: str = "200 OK",
        request: bool = True,
    ) -> int:
        from warcio.statusandheaders import StatusAndHeaders

        if request:
            req = StatusAndHeaders(f"GET {url} HTTP/1.1", [("Host", "x")], is_http_request=True)
            self._write(self.w.create_warc_record(url, "request", payload=io.BytesIO(b""), http_headers=req))
        data = body.encode("utf-8") if isinstance(body, str) else body
        hh = StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")
        rec = self.w.create_warc_record(
            url, "response", payload=io.BytesIO(data), http_headers=hh, warc_headers_dict={"WARC-Date": WARC_DATE}
        )
        return self._write(rec)

    def warcinfo(self) -> int:
        return self._write(self.w.create_warcinfo_record("test.warc", {"software": "tests"}))

    def revisit(self, url: str) -> int:
        return self._write(
            self.w.create_revisit_record(url, digest="sha1:AAAA", refers_to_uri=url, refers_to_date=WARC_DATE)
        )

    def metadata(self, url: str) -> int:
        return self._write(
            self.w.create_warc_record(
                url, "metadata", payload=io.BytesIO(b"outlinks: none"), warc_content_type="application/warc-fields"
            )
        )

    def data(self) -> bytes:
        return self.buf.getvalue()
