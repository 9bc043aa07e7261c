"""A straightforward numpy reference of the static views, for parity tests and the benchmark.

It follows DOMAIN.md's order with the libraries the seed used, per image: ``colour-demosaicing`` for the
demosaics, scikit-image's ``rgb2yuv``/``yuv2rgb`` around each luma stage, ``scipy.signal.convolve2d`` for the
sharpening filter, scikit-image's ``unsharp_mask`` (``preserve_range=True``), ``scipy.ndimage``'s
``gaussian_filter`` and ``median_filter``. Border modes are the libraries' defaults (as in the seed), so
only the image interior is comparable with the engine's mirror border.
"""

from __future__ import annotations

import numpy as np
from colour_demosaicing import (
    demosaicing_CFA_Bayer_bilinear,
    demosaicing_CFA_Bayer_Malvar2004,
    demosaicing_CFA_Bayer_Menon2007,
)
from scipy import ndimage
from scipy.signal import convolve2d
from skimage.color import rgb2yuv, yuv2rgb
from skimage.filters import unsharp_mask

REFERENCE_DEMOSAICS = {
    "bilinear": demosaicing_CFA_Bayer_bilinear,
    "malvar2004": demosaicing_CFA_Bayer_Malvar2004,
    "menon2007": demosaicing_CFA_Bayer_Menon2007,
}
_SHARP = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64)


def _on_luma(rgb: np.ndarray, op) -> np.ndarray:
    yuv = rgb2yuv(rgb)
    yuv[..., 0] = op(yuv[..., 0])
    return yuv2rgb(yuv)


REFERENCE_SHARPENINGS = {
    "sharpening_filter": lambda y: convolve2d(y, _SHARP, "same", boundary="fill", fillvalue=0),
    "unsharp_masking": lambda y: unsharp_mask(y, radius=1.0, amount=1.0, preserve_range=True),
}
REFERENCE_DENOISINGS = {
    "gaussian_denoising": lambda y: ndimage.gaussian_filter(y, 0.5),
    "median_denoising": lambda y: ndimage.median_filter(y, 3),
}


def reference_view(raw: np.ndarray, view: str, pattern: str, black_level, white_balance, colour_matrix) -> np.ndarray:
    """``raw`` H×W normalised → view H×W×3 in [0, 1]."""
    demosaic, sharpening, denoising = view.split("+")
    x = raw.astype(np.float64).copy()
    x[0::2, 0::2] -= black_level[0]
    x[0::2, 1::2] -= black_level[1]
    x[1::2, 0::2] -= black_level[2]
    x[1::2, 1::2] -= black_level[3]
    rgb = REFERENCE_DEMOSAICS[demosaic](x, pattern)
    rgb = rgb * np.asarray(white_balance)
    rgb = np.einsum("hwj,ij->hwi", rgb, np.asarray(colour_matrix).reshape(3, 3))
    rgb = _on_luma(rgb, REFERENCE_SHARPENINGS[sharpening])
    rgb = _on_luma(rgb, REFERENCE_DENOISINGS[denoising])
    return np.clip(rgb, 0, 1) ** (1 / 2.2)
