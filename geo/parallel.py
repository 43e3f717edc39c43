"""Side-by-side work on all cores for the bulk path (numpy and pyarrow release the GIL)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
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
