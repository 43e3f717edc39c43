"""Side-by-side work on all cores for the bulk path (numpy and pyarrow release the GIL)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Threads for bulk work; ``NESTWATCH_THREADS=1`` makes everything sequential (debugging, profiling).
THREADS = max(1, int(os.environ.get("NESTWATCH_THREADS", os.cpu_count() or 1)))


def thread_map(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``[fn(x) for x in items]`` on a thread pool, results in input order, first error re-raised."""
    items = list(items)
    if THREADS == 1 or len(items) < 2:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(max_workers=min(THREADS, len(items))) as pool:
        return list(pool.map(fn, items))


def thread_imap(fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
    """Like :func:`thread_map`, but yields each result as soon as it and those before it are done."""
    items = list(items)
    if THREADS == 1 or len(items) < 2:
        yield from (fn(x) for x in items)
        return
    with ThreadPoolExecutor(max_workers=min(THREADS, len(items))) as pool:
        yield from pool.map(fn, items)


def in_background(fn: Callable[[], R]) -> Future[R]:
    """Start ``fn()`` on its own thread (e.g. hashing a file while it is parsed); ``.result()`` waits for it.

    With ``NESTWATCH_THREADS=1`` it runs at once, here.
    """
    if THREADS == 1:
        done: Future[R] = Future()
        try:
            done.set_result(fn())
        except Exception as exc:  # handed over at .result(), as from a thread
            done.set_exception(exc)
        return done
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(fn)
    finally:
        pool.shutdown(wait=False)
