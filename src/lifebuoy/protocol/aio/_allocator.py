"""Keep glibc from returning the heap to the kernel after every message.

Relaying 1 MiB messages allocates and frees several 1 MiB buffers per message
(TLS records, WebSocket frames, channel frames). glibc trims the top of its
heap once 2 MiB or so are free there, so the next message faults its pages in
again: about 400 page faults per MiB, 1 to 2 s of CPU per GiB in each process.
A fixed mmap threshold and a larger trim threshold keep those pages mapped
(at most ``TRIM_THRESHOLD`` bytes of free heap are kept).
"""

from __future__ import annotations

import ctypes
import logging
import os
import platform
import sys

logger = logging.getLogger(__name__)

MMAP_THRESHOLD = 4 << 20
"""Allocations from this size up get their own mapping (1 MiB frames do not)."""
TRIM_THRESHOLD = 32 << 20
"""Free heap kept at the top before it is given back to the kernel."""
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

_tuned = False


def keep_heap_mapped() -> None:
    """Set the glibc thresholds once per process, unless the operator set them."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return
    if any(name.startswith(("MALLOC_", "GLIBC_TUNABLES")) for name in os.environ):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    logger.debug("glibc heap kept mapped up to %d bytes free", TRIM_THRESHOLD)
