"""The response cache: every read answer, encoded, once per revision of what it shows (:class:`ResponseCache`)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

DEFAULT_CACHE_BYTES = 512 * 1024 * 1024
DEFAULT_BUILDERS = 2  # threads that build responses on a cache miss
STALE_WAIT = 0.05  # seconds a read waits for a story rebuilt after another process changed it (then: previous version)


class ResponseCache:
    """Encoded responses by key, each with the revision of the data it was built from; LRU within a
    byte budget. :meth:`fetch` returns the cached bytes while the revision is unchanged, else builds
    them (in the threadpool) once: concurrent requests for the same key and revision share one build.
    A revision of None means "unknown": built every time, never kept."""

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES, builders: int = DEFAULT_BUILDERS):
        self.max_bytes = max_bytes
        # builds are CPU-bound Python: a few threads, not the 40 of the shared threadpool (dozens of
        # threads fighting for the GIL cost 3x the CPU per build under load, measured)
        from concurrent.futures import ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(max_workers=max(1, builders), thread_name_prefix="storyline-build")
        # the long tail (pages of rarely read articles) gets a thread of its own: it never makes the
        # rebuild of a hot story or list wait behind it
        self._slow_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="storyline-build-slow")
        self._items: OrderedDict[Any, tuple[Any, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._building: dict[tuple[Any, Any], asyncio.Future[bytes]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.hits = 0
        self.builds = 0
        self.stale = 0
        # time spent building on the event loop (every read waits meanwhile), by kind of view:
        # kind -> [builds, seconds, longest]
        self.loop_builds: dict[str, list[Any]] = {}

    def get(self, key: Any, rev: Any) -> bytes | None:
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] != rev:
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[1]

    def has(self, key: Any, rev: Any) -> bool:
        """Whether the version of ``key`` at ``rev`` is kept (not counted as a hit)."""
        with self._lock:
            item = self._items.get(key)
            return item is not None and item[0] == rev

    def put(self, key: Any, rev: Any, body: bytes) -> None:
        if rev is None or len(body) > self.max_bytes // 4:
            self.drop(key)  # not kept: nor may an older version be (it would be peeked as current)
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old[1])
            self._items[key] = (rev, body)
            self._bytes += len(body)
            while self._bytes > self.max_bytes and self._items:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= len(dropped)

    def drop(self, key: Any) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old[1])

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._slow_pool.shutdown(wait=False, cancel_futures=True)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "entries": len(self._items),
                "bytes": self._bytes,
                "hits": self.hits,
                "builds": self.builds,
                "stale": self.stale,
                "loop_builds": {
                    k: {"n": v[0], "ms": round(1000 * v[1], 1), "max_ms": round(1000 * v[2], 1)}
                    for k, v in sorted(self.loop_builds.items())
                },
            }

    def peek(self, key: Any) -> bytes | None:
        """The kept body for ``key`` whatever its revision."""
        with self._lock:
            item = self._items.get(key)
            return item[1] if item is not None else None

    async def fetch(
        self,
        key: Any,
        rev: Any,
        build: Callable[[], bytes],
        inline: bool = False,
        slow: bool = False,
        stale_ok: bool = False,
    ) -> bytes:
        """``inline``: a build of a millisecond or two runs on the event loop itself (handing it to a
        thread costs more than that under load); longer ones go to the build threads.
        ``stale_ok``: while another request is already rebuilding this key, answer with the version kept
        so far instead of waiting; the request that noticed the change waits for the new version up to
        ``STALE_WAIT`` seconds, then gets the kept one too (a POST waits for the stories it changed: its
        client's next read is never older than its write)."""
        body = self.get(key, rev)
        if body is not None:
            return body
        if inline and (rev is None or (key, rev) not in self._building):
            self.builds += 1
            t = time.perf_counter()
            body = build()
            took = time.perf_counter() - t
            kind = str(key[0]) if isinstance(key, tuple) and key else str(key)
            acc = self.loop_builds.setdefault(kind, [0, 0.0, 0.0])
            acc[0] += 1
            acc[1] += took
            acc[2] = max(acc[2], took)
            self.put(key, rev, body)
            return body
        loop = asyncio.get_running_loop()
        pool = self._slow_pool if slow else self._pool
        if rev is None:
            self.builds += 1
            return await loop.run_in_executor(pool, build)
        pending = self._building.get((key, rev))
        if pending is not None:
            if stale_ok:
                old = self.peek(key)
                if old is not None:
                    self.stale += 1
                    return old
            return await asyncio.shield(pending)
        fut: asyncio.Future[bytes] = loop.create_future()
        fut.add_done_callback(lambda f: f.cancelled() or f.exception())  # waiters see it; no "never retrieved"
        self._building[(key, rev)] = fut
        self.builds += 1
        # the build finishes (and is kept) even when the request that started it goes away
        task = loop.create_task(self._build(key, rev, build, pool, fut))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if stale_ok:
            old = self.peek(key)
            if old is not None:
                try:
                    return await asyncio.wait_for(asyncio.shield(fut), STALE_WAIT)
                except asyncio.TimeoutError:
                    self.stale += 1
                    return old
        return await asyncio.shield(fut)

    async def _build(
        self, key: Any, rev: Any, build: Callable[[], bytes], pool: Any, fut: asyncio.Future[bytes]
    ) -> None:
        try:
            body = await asyncio.get_running_loop().run_in_executor(pool, build)
        except Exception as exc:  # noqa: BLE001 - handed to every waiter
            fut.set_exception(exc)
        else:
            self.put(key, rev, body)
            fut.set_result(body)
        finally:
            self._building.pop((key, rev), None)
            if not fut.done():
                fut.cancel()
