"""Keeping freed array memory in the process, for the next chunk's arrays.

A chunk's pass allocates an array per node and frees them all once its rows are written.
With glibc's defaults, arrays of this size are mapped fresh from the kernel and handed
back when freed, so every chunk pays again for faulting in every page, and that costs up
to five times the arithmetic itself. Raising the two thresholds keeps the freed memory for
reuse instead: the process holds no more than its largest chunk needed, and keeps it.
Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

_M_TRIM_THRESHOLD = -1  # <malloc.h>: free memory at the top of the heap kept, in bytes
_M_MMAP_THRESHOLD = -3  # <malloc.h>: requests from this size up get their own mapping
_KEEP_BYTES = 256 << 20
_MAP_FROM_BYTES = 32 << 20  # the largest glibc accepts on every version
_done = False


def keep_freed_memory() -> None:
    """Once per process: arrays under 32 MB come from the heap, and up to 256 MB of freed
    heap stays with the process. For a command's process: it changes the whole process."""
    global _done
    if _done:
        return
    _done = True
    import ctypes
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    mallopt(_M_MMAP_THRESHOLD, _MAP_FROM_BYTES)
    mallopt(_M_TRIM_THRESHOLD, _KEEP_BYTES)
