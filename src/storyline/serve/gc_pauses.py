"""How long this process's garbage collector stops everything (:class:`GcPauses`, reported by ``/stats``)."""

from __future__ import annotations

import gc
import time
from typing import Any


class GcPauses:
    """Pauses of this process's garbage collector (a full collection over a large heap stops every
    request for tens of milliseconds): counted while installed, reported by ``/stats``."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.total_s = 0.0
        self.max_s = 0.0
        self._t = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._t = time.perf_counter()
            return
        took = time.perf_counter() - self._t
        self.count[min(2, int(info.get("generation", 0)))] += 1
        self.total_s += took
        self.max_s = max(self.max_s, took)

    def install(self) -> None:
        if self not in gc.callbacks:
            gc.callbacks.append(self)

    def remove(self) -> None:
        if self in gc.callbacks:
            gc.callbacks.remove(self)

    def stats(self) -> dict[str, Any]:
        return {
            "collections": list(self.count),
            "total_ms": round(1000 * self.total_s, 1),
            "max_ms": round(1000 * self.max_s, 1),
        }
