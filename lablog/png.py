"""A minimal PNG encoder (8- and 16-bit grey, RGB, RGBA) so image artifacts need no imaging library.

``encode_png(hwc)`` takes an ``(H, W, C)`` uint8 or uint16 array, C in {1, 3, 4}, and returns the bytes of a
standard PNG (no filtering, zlib level 6): readable by every image viewer, Pillow and matplotlib.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

__all__ = ["encode_png"]

_COLOUR_TYPE = {1: 0, 3: 2, 4: 6}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(hwc: np.ndarray) -> bytes:
    if hwc.ndim != 3 or hwc.shape[2] not in _COLOUR_TYPE or hwc.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"expected (H, W, 1|3|4) uint8 or uint16, got {hwc.shape} {hwc.dtype}")
    h, w, c = hwc.shape
    depth = 8 if hwc.dtype == np.uint8 else 16
    rows = np.ascontiguousarray(hwc.astype(">u2") if depth == 16 else hwc).reshape(h, -1)
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rows.view(np.uint8).reshape(h, -1)], axis=1).tobytes()
    header = struct.pack(">IIBBBBB", w, h, depth, _COLOUR_TYPE[c], 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b"")
