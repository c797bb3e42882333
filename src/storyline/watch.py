"""Live ingest: poll a folder and send new or changed files through the :class:`Pipeline`.

A file is picked up once its size and modification time have been stable for ``settle`` seconds
(so a file still being written is not read half-way). What was seen is remembered in the store
(state key ``watch:<folder>``), so a restarted watcher does not re-read the whole folder; ingest is
idempotent anyway (a file whose content is already stored is reported as a duplicate).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .ingest import iter_folder, read_file
from .pipeline import IngestReport, Pipeline


class FolderWatcher:
    def __init__(self, pipeline: Pipeline, folder: str | Path, settle: float = 1.0):
        self.pipeline = pipeline
        self.folder = Path(folder).resolve()
        self.settle = settle
        self.state_key = f"watch:{self.folder}"
        raw = pipeline.store.get_state(self.state_key)
        self.seen: dict[str, list[int]] = json.loads(raw) if raw else {}

    def pending(self, now: float | None = None) -> list[Path]:
        """Files that are new or changed since last seen, and settled."""
        now = time.time() if now is None else now
        out = []
        for p in iter_folder(self.folder, self.pipeline.config.ingest):
            try:
                st = p.stat()
            except OSError:
                continue
            sig = [st.st_size, st.st_mtime_ns]
            if self.seen.get(str(p)) == sig:
                continue
            if now - st.st_mtime < self.settle:
                continue  # still being written: next round
            out.append(p)
        return out

    def scan(self, now: float | None = None) -> IngestReport:
        """One round: ingest every pending file; remember it."""
        files = self.pending(now)
        report = IngestReport()
        if not files:
            return report
        cfg = self.pipeline.config.ingest
        docs = [d for f in files for d in read_file(f, cfg)]
        report = self.pipeline.ingest(docs)
        for f in files:
            try:
                st = f.stat()
                self.seen[str(f)] = [st.st_size, st.st_mtime_ns]
            except OSError:
                self.seen.pop(str(f), None)
        self.pipeline.store.put_state(self.state_key, json.dumps(self.seen).encode())
        return report

    def run(
        self,
        interval: float = 2.0,
        stop: threading.Event | None = None,
        on_report: Callable[[IngestReport], None] | None = None,
    ) -> None:
        stop = stop or threading.Event()
        while not stop.is_set():
            report = self.scan()
            if on_report and report.read:
                on_report(report)
            stop.wait(interval)
