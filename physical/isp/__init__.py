"""The image signal processing layer: raw Bayer data → device-specific views, in torch, batched.

One implementation for static and learnable use (stage functions shared, parameters as buffers or
``nn.Parameter`` s), one border rule (mirror, :mod:`physical.isp.border`), named choices in registries.

- stages: :mod:`black_level`, :mod:`demosaic` (:mod:`bilinear`, :mod:`malvar2004`, :mod:`menon2007`),
  :mod:`white_balance`, :mod:`colour_matrix`, :mod:`yuv`, :mod:`sharpening`, :mod:`denoising`, :mod:`gamma`
- :mod:`views`: the 12 named static views and a renderer that shares their common stages
- processing modes (:mod:`processing_modes`): :mod:`static`, :mod:`parametrized`, :mod:`neural_network`,
  :mod:`none`; every pipeline can return its stages (:mod:`trace`)
"""

from physical.isp.camera import IspCamera
from physical.isp.demosaic import DEMOSAICS, demosaic
from physical.isp.denoising import DENOISINGS
from physical.isp.parametrized import PARAMETER_GROUPS, ParametrizedConfig, ParametrizedISP
from physical.isp.processing_modes import PROCESSING_MODES, build_processing
from physical.isp.sharpening import SHARPENINGS
from physical.isp.static import StaticISP, ViewSpec
from physical.isp.trace import Stage, Trace
from physical.isp.views import VIEWS, get_view, render_views, view_names

__all__ = [
    "IspCamera", "DEMOSAICS", "demosaic", "DENOISINGS", "SHARPENINGS", "PARAMETER_GROUPS", "ParametrizedConfig",
    "ParametrizedISP", "PROCESSING_MODES", "build_processing", "StaticISP", "ViewSpec", "Stage", "Trace", "VIEWS",
    "get_view", "render_views", "view_names",
]
