"""Fresh memory that is not zeroed first.

``bytearray(n)`` fills its n bytes with zeroes, a pass over memory that is
wasted when the next step overwrites all of it anyway: a channel frame that
AES-GCM encrypts into, plaintext that OpenSSL decrypts into. For the 1 MiB
frames of a busy session that pass costs as much as a copy. cffi (which
``cryptography`` depends on) allocates without it.
"""

from __future__ import annotations

from typing import Any

from cffi import FFI  # type: ignore[import-untyped]

__all__ = ["uninitialized"]

_ffi = FFI()
_allocate: Any = _ffi.new_allocator(should_clear_after_alloc=False)


def uninitialized(size: int) -> memoryview:
    """``size`` writable bytes whose contents are whatever the allocator left:
    every one of them must be written before it is read."""
    return memoryview(_ffi.buffer(_allocate("char[]", size)))
