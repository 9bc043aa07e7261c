"""Devices: optics + sensor + ADC + colour filter array + the ISP camera parameters, and their registry.

A :class:`Device` is a frozen description; every number can be overridden (``with_overrides``) or a whole
device built from a nested mapping (``device_from_dict``, which is what a TOML or JSON device file holds).
Numbers come from ``DOMAIN.md``; those marked *unverified* there are defaults that a user must override when
they know better.

Units are in the field names: ``_um``, ``_nm``, ``_e`` (electrons), ``_dn`` (digital numbers of the ADC,
before any left shift), ``_s``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from physical.cfa import PATTERNS
from physical.checks import InputError, check_choice
from physical.registry import Registry

__all__ = [
    "Optics",
    "Sensor",
    "Adc",
    "Cfa",
    "NoiseSwitches",
    "CameraParams",
    "Device",
    "DEVICES",
    "get_device",
    "device_from_dict",
    "device_to_dict",
    "with_overrides",
]

PSF_KINDS = ("airy", "gaussian", "none")
CFA_MODES = ("mosaic", "filter-sequence")


@dataclass(frozen=True)
class Optics:
    """Point spread function of the imaging optics, per colour channel (R, G, B).

    ``psf="airy"``: diffraction-limited disc of the image-side working f-number (for a microscope,
    magnification / (2 NA)); ``"gaussian"``: a Gaussian of ``sigma_px``; ``"none"``: no blur.
    """

    psf: str = "airy"
    f_number: float = 8.0
    wavelengths_nm: tuple[float, float, float] = (620.0, 525.0, 450.0)
    sigma_px: tuple[float, float, float] = (1.0, 1.0, 1.0)
    kernel_size: int = 0  # odd; 0 = chosen from the PSF extent


@dataclass(frozen=True)
class Sensor:
    """Pixel array in electrons (EMVA 1288 model)."""

    model: str
    pixel_pitch_um: float
    width_px: int
    height_px: int
    quantum_efficiency: tuple[float, float, float]  # per channel R, G, B
    photons_at_unit_radiance: float  # mean photons per pixel for scene value 1 at intensity 1.0
    full_well_e: float
    read_noise_e: float
    dark_current_e_per_s: float = 0.0
    exposure_s: float = 0.01
    prnu: float = 0.005  # relative standard deviation of the pixel gain
    dsnu_e: float = 0.3  # standard deviation of the pixel offset, electrons
    row_noise_e: float = 0.0  # standard deviation of a per-row, per-frame offset, electrons
    fixed_pattern_seed: int = 1288  # the device instance: same seed, same PRNU/DSNU maps


@dataclass(frozen=True)
class Adc:
    """Analogue-to-digital conversion and storage.

    ``gain_dn_per_e`` and ``black_level_dn`` are in the ADC's own digital numbers; stored values are
    shifted left by ``stored_bits - bits`` (the drone's 12 bits left-justified in 16).
    """

    bits: int
    stored_bits: int
    gain_dn_per_e: float
    black_level_dn: float


@dataclass(frozen=True)
class Cfa:
    """Bayer pattern; ``filter-sequence`` means three monochrome exposures through R, G, B filters whose
    pixels of the other colours are discarded (Raw-Microscopy), ``mosaic`` a sensor with an on-chip CFA."""

    pattern: str = "RGGB"
    mode: str = "mosaic"


@dataclass(frozen=True)
class NoiseSwitches:
    """Each noise component can be switched off (e.g. for noise-free reference renders)."""

    shot: bool = True
    dark_current: bool = True
    read: bool = True
    prnu: bool = True
    dsnu: bool = True
    row: bool = True


@dataclass(frozen=True)
class CameraParams:
    """The seed's ISP camera parameters for data of this device, and the views' normalisation statistics.

    ``black_level`` is normalised to [0, 1] of the stored range, one value per CFA site (reading order);
    it describes the *published* files. Simulated raws carry their own black level in their metadata.
    """

    black_level: tuple[float, float, float, float]
    white_balance: tuple[float, float, float]
    colour_matrix: tuple[float, ...]  # 3×3 row-major, out = M · in
    norm_mean: tuple[float, float, float]
    norm_std: tuple[float, float, float]


@dataclass(frozen=True)
class Device:
    name: str
    description: str
    optics: Optics
    sensor: Sensor
    adc: Adc
    cfa: Cfa
    camera: CameraParams
    noise: NoiseSwitches = field(default_factory=NoiseSwitches)

    def __post_init__(self) -> None:
        _validate(self)

    # --- derived numbers -------------------------------------------------------------------------------
    @property
    def left_shift(self) -> int:
        return self.adc.stored_bits - self.adc.bits

    @property
    def adc_max_dn(self) -> int:
        return 2**self.adc.bits - 1

    @property
    def stored_gain_dn_per_e(self) -> float:
        """K in stored digital numbers (×16 for 12 bits stored in 16)."""
        return self.adc.gain_dn_per_e * 2**self.left_shift

    @property
    def stored_black_level_dn(self) -> float:
        return self.adc.black_level_dn * 2**self.left_shift

    @property
    def stored_max_dn(self) -> int:
        return 2**self.adc.stored_bits - 1

    @property
    def adc_clip_e(self) -> float:
        """Electrons above black at which the ADC reaches its top code."""
        return (self.adc_max_dn - self.adc.black_level_dn) / self.adc.gain_dn_per_e

    @property
    def saturation_e(self) -> float:
        """Saturation capacity implied by the preset: full well or ADC clip, whichever comes first."""
        return min(self.sensor.full_well_e, self.adc_clip_e)


def _validate(d: Device) -> None:
    check_choice(d.optics.psf, "PSF kind", PSF_KINDS)
    check_choice(d.cfa.pattern, "CFA pattern", PATTERNS)
    check_choice(d.cfa.mode, "CFA mode", CFA_MODES)
    positive = {
        "sensor.pixel_pitch_um": d.sensor.pixel_pitch_um,
        "sensor.photons_at_unit_radiance": d.sensor.photons_at_unit_radiance,
        "sensor.full_well_e": d.sensor.full_well_e,
        "adc.gain_dn_per_e": d.adc.gain_dn_per_e,
        "optics.f_number": d.optics.f_number,
    }
    non_negative = {
        "sensor.read_noise_e": d.sensor.read_noise_e,
        "sensor.dark_current_e_per_s": d.sensor.dark_current_e_per_s,
        "sensor.exposure_s": d.sensor.exposure_s,
        "sensor.prnu": d.sensor.prnu,
        "sensor.dsnu_e": d.sensor.dsnu_e,
        "sensor.row_noise_e": d.sensor.row_noise_e,
        "adc.black_level_dn": d.adc.black_level_dn,
    }
    for key, v in positive.items():
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise InputError(f"device {d.name!r}: expected {key} > 0, got {v!r}")
    for key, v in non_negative.items():
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
            raise InputError(f"device {d.name!r}: expected {key} >= 0, got {v!r}")
    if len(d.sensor.quantum_efficiency) != 3 or not all(0 < q <= 1 for q in d.sensor.quantum_efficiency):
        raise InputError(f"device {d.name!r}: expected sensor.quantum_efficiency as 3 values in (0, 1]")
    if not (1 <= d.adc.bits <= d.adc.stored_bits <= 16):
        raise InputError(
            f"device {d.name!r}: expected 1 <= adc.bits <= adc.stored_bits <= 16, "
            f"got bits={d.adc.bits}, stored_bits={d.adc.stored_bits}"
        )
    if d.adc.black_level_dn >= 2**d.adc.bits - 1:
        raise InputError(f"device {d.name!r}: adc.black_level_dn must be below the ADC's top code")
    if d.optics.kernel_size < 0 or (d.optics.kernel_size and d.optics.kernel_size % 2 == 0):
        raise InputError(f"device {d.name!r}: expected optics.kernel_size odd (or 0 for automatic)")
    if len(d.camera.black_level) != 4 or len(d.camera.white_balance) != 3 or len(d.camera.colour_matrix) != 9:
        raise InputError(
            f"device {d.name!r}: expected camera.black_level (4 values), camera.white_balance (3) "
            "and camera.colour_matrix (9, row-major)"
        )


# --- presets -----------------------------------------------------------------------------------------------

DEVICES: Registry[Device] = Registry("device")

DEVICES.add(
    "microscope-pco-edge-5.5",
    Device(
        name="microscope-pco-edge-5.5",
        description=(
            "Raw-Microscopy: bright field, 40x/0.95 NA, PCO edge 5.5 sCMOS (CIS2521), R/G/B filters "
            "acquired in sequence, RGGB by discarding"
        ),
        # Image-side working f-number of a 40x / 0.95 NA objective: M / (2 NA) = 21.05 (derived). Its Airy
        # disc at 450 nm has a 1.5 px FWHM and a 3.6 px first-zero diameter, around DOMAIN's ≈ 2.8 px.
        optics=Optics(psf="airy", f_number=40 / (2 * 0.95), wavelengths_nm=(620.0, 525.0, 450.0)),
        sensor=Sensor(
            model="Fairchild CIS2521 sCMOS",
            pixel_pitch_um=6.5,
            width_px=2560,
            height_px=2160,
            quantum_efficiency=(0.6, 0.6, 0.6),  # sCMOS peak, unverified
            # Unobstructed illumination at intensity 1.0 fills 80 % of the full well (unverified).
            photons_at_unit_radiance=40_000.0,
            full_well_e=30_000.0,
            read_noise_e=2.0,  # DOMAIN: ≈ 1.5–2.5 e⁻, unverified
            exposure_s=0.01,
            prnu=0.005,
            dsnu_e=0.3,
        ),
        # K = 1 / 0.46 e⁻/DN. Offset: the published files have theirs removed (seed black level 9.834e-6 ≈
        # 0.64 DN); the simulator keeps the camera's positive offset (≈ 100 counts, unverified) so that dark
        # noise is not clipped at zero. Simulated raws record it in their metadata.
        adc=Adc(bits=16, stored_bits=16, gain_dn_per_e=1 / 0.46, black_level_dn=100.0),
        cfa=Cfa(pattern="RGGB", mode="filter-sequence"),
        camera=CameraParams(
            black_level=(9.834e-6, 9.834e-6, 9.834e-6, 9.834e-6),
            white_balance=(-0.6567, 1.9673, 3.5304),
            colour_matrix=(-2.0338, 0.0933, 0.4157, -0.0286, 2.6464, -0.0574, -0.5516, -0.0947, 2.9308),
            norm_mean=(0.91, 0.84, 0.94),
            norm_std=(0.08, 0.12, 0.05),
        ),
    ),
)

DEVICES.add(
    "drone-l1d-20c",
    Device(
        name="drone-l1d-20c",
        description="Raw-Drone: DJI Mavic 2 Pro, Hasselblad L1D-20c, Sony IMX183 BSI CMOS, 10.3 mm f/8, ISO 200",
        # f/8 Airy disc: 12.5 µm first-zero diameter at ≈ 640 nm ≈ 5.2 px (DOMAIN).
        optics=Optics(psf="airy", f_number=8.0, wavelengths_nm=(640.0, 530.0, 460.0)),
        sensor=Sensor(
            model="Sony IMX183 BSI CMOS",
            pixel_pitch_um=2.4,
            width_px=5472,
            height_px=3648,
            quantum_efficiency=(0.8, 0.8, 0.8),  # BSI, unverified
            # A white reflector at intensity 1.0 gives 6,000 e⁻, below the 7,270 e⁻ ADC clip (unverified).
            photons_at_unit_radiance=7_500.0,
            full_well_e=15_000.0,
            read_noise_e=3.0,  # derived, DOMAIN
            exposure_s=0.002,
            prnu=0.01,
            dsnu_e=0.5,
        ),
        # ISO 200: 0.528 DN12/e⁻, black 256 DN12 = 4096 DN16 = 0.0625 of full scale.
        adc=Adc(bits=12, stored_bits=16, gain_dn_per_e=0.528, black_level_dn=256.0),
        cfa=Cfa(pattern="RGGB", mode="mosaic"),
        camera=CameraParams(
            black_level=(0.0625, 0.0626, 0.0625, 0.0626),
            white_balance=(2.86653646, 1.0, 1.73079425),
            colour_matrix=(
                1.50768983, -0.33571374, -0.17197604,
                -0.23048614, 1.70698738, -0.47650126,
                -0.03119153, -0.32803956, 1.35923111,
            ),
            norm_mean=(0.35, 0.36, 0.35),
            norm_std=(0.12, 0.11, 0.12),
        ),
    ),
)


def get_device(name: str) -> Device:
    """The preset called ``name``; unknown names fail listing the presets."""
    return DEVICES.get(name)


# --- overrides and (de)serialisation -------------------------------------------------------------------

_SECTIONS = ("optics", "sensor", "adc", "cfa", "camera", "noise")


def device_to_dict(device: Device) -> dict[str, Any]:
    """Plain nested dict (JSON/TOML-serialisable) of every field of ``device``."""
    return dataclasses.asdict(device)


def _coerce(template: Any, value: Any, key: str) -> Any:
    if isinstance(template, bool):
        if not isinstance(value, bool):
            raise InputError(f"expected {key} as true/false, got {value!r}")
        return value
    if isinstance(template, int) and not isinstance(template, bool):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"expected {key} as an integer, got {value!r}")
        return value
    if isinstance(template, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"expected {key} as a number, got {value!r}")
        return float(value)
    if isinstance(template, tuple):
        if not isinstance(value, (list, tuple)) or len(value) != len(template):
            raise InputError(f"expected {key} as a list of {len(template)} numbers, got {value!r}")
        return tuple(_coerce(t, v, key) for t, v in zip(template, value))
    if isinstance(template, str):
        if not isinstance(value, str):
            raise InputError(f"expected {key} as a string, got {value!r}")
        return value
    raise InputError(f"cannot set {key}")


def with_overrides(device: Device, overrides: Mapping[str, Any]) -> Device:
    """A copy of ``device`` with dotted keys replaced, e.g. ``{"sensor.read_noise_e": 2.5, "name": "x"}``.

    Unknown keys fail and list the valid ones.
    """
    sections = {s: dataclasses.asdict(getattr(device, s)) for s in _SECTIONS}
    top = {"name": device.name, "description": device.description}
    for key, value in overrides.items():
        if key in top:
            top[key] = _coerce(top[key], value, key)
            continue
        section, _, fname = key.partition(".")
        if section not in sections or fname not in sections[section]:
            valid = sorted(list(top) + [f"{s}.{f}" for s in _SECTIONS for f in sections[s]])
            raise InputError(f"unknown device field {key!r}; expected one of: {', '.join(valid)}")
        template = getattr(getattr(device, section), fname)
        sections[section][fname] = _coerce(template, value, key)
    parts = {s: type(getattr(device, s))(**sections[s]) for s in _SECTIONS}
    return Device(name=top["name"], description=top["description"], **parts)


def device_from_dict(data: Mapping[str, Any]) -> Device:
    """Build a device from a nested mapping, as a TOML or JSON device file holds it.

    ``base`` names the preset to start from (default: the full set of fields must be given via a preset,
    so ``base`` is required); ``name`` and ``description`` are top-level; sections ``optics``, ``sensor``,
    ``adc``, ``cfa``, ``camera`` and ``noise`` override fields of the base::

        base = "drone-l1d-20c"
        name = "my-drone"
        [sensor]
        read_noise_e = 2.4
    """
    if not isinstance(data, Mapping):
        raise InputError("expected a device description as a mapping of sections")
    if "base" not in data:
        raise InputError(f"expected a 'base' preset in the device description; one of: {', '.join(DEVICES.names())}")
    base = get_device(str(data["base"]))
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key == "base":
            continue
        if key in _SECTIONS:
            if not isinstance(value, Mapping):
                raise InputError(f"expected [{key}] as a table of fields, got {value!r}")
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    flat.setdefault("name", base.name + "-custom")
    return with_overrides(base, flat)
