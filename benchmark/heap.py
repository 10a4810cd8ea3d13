"""How the C library's heap is used while a large population is read and assessed.

Reading a table pins glibc's mmap threshold at 128 KiB (`pinned_heap`), so
that the memory of a chunk read and freed goes back to the system. With the threshold pinned,
every array of a large population's rows is a mapping of its own, and each temporary one is
faulted in and zeroed page by page again: reading cells onto canonical units and assessing make
hundreds of them. `reused_heap` lifts the threshold while such work runs, so that freed arrays
of a chunk's size are reused from the heap, then pins it again and gives the heap's free pages
back to the system (malloc_trim). It also owns giving freed memory back after a chunk (`released`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

REUSED_FROM_ROWS = 1 << 16  # work over this many rows or more runs in reused heap memory
MMAP_THRESHOLD = -3  # glibc's mallopt parameter M_MMAP_THRESHOLD
PINNED = 128 * 1024  # the threshold reading pins (`pinned_heap`): glibc's default
# While lifted: the arrays of a chunk of rows (reading: 100,000 rows, 0.8 MB of floats;
# assessing: 131,072) come from the heap and are reused; larger ones, a whole population's, stay
# mappings of their own, so that the heap does not grow around long-lived arrays (measured on
# 1M rows: most of the time saved, without the 50–80 MB a higher threshold keeps resident)
LIFTED = 2 << 20


def pinned_heap() -> None:
    """Keep large allocations mmapped (glibc), so the memory of a chunk read and freed goes back
    to the system instead of lingering in the heap: glibc raises its mmap threshold after big
    frees, after which big arrays come from the heap and their space is never returned. A no-op
    where there is no glibc."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(MMAP_THRESHOLD, PINNED)


@contextmanager
def reused_heap(rows: int) -> Iterator[None]:
    """Run the body with freed arrays reused from the heap when it works on `rows` rows or
    more; a no-op for fewer rows or without glibc."""
    libc = _glibc() if rows >= REUSED_FROM_ROWS else None
    if libc is None:
        yield
        return
    libc.mallopt(MMAP_THRESHOLD, LIFTED)
    try:
        yield
    finally:
        pinned_heap()
        give_back()


def give_back() -> None:
    """Give the heap's free pages back to the system (malloc_trim): arrays made in reused heap
    memory and freed later (the assessment's, once the tables alone are written) would stay
    resident otherwise. A no-op without glibc."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def arrow_released() -> None:
    """Give back what pyarrow's memory pool holds after arrays are freed: its allocator
    (mimalloc or jemalloc) keeps freed pages for reuse, about 200 bytes a row of a table read,
    which would stay resident for the rest of the command. A no-op before pyarrow is imported."""
    import sys

    pa = sys.modules.get("pyarrow")
    if pa is not None:
        pa.default_memory_pool().release_unused()


def released() -> None:
    """Give the memory of freed arrays back to the system: the arrow pool's and the C heap's
    free pages (`arrow_released`, `give_back`)."""
    arrow_released()
    give_back()


@lru_cache(maxsize=1)
def _glibc():
    """glibc, or None where the C library is another."""
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
