"""The physical layer: optics, exposure, sensor noise, CFA and ADC turn scenes into raw data as a device
records it; re-exposure moves measured raw data to other intensities; calibration measures a device back
(EMVA 1288). Pure torch; imports nothing else of the project.
"""

from physical.capture import Capture, capture
from physical.devices import DEVICES, Device, get_device
from physical.raw import Raw, RawMeta

__all__ = ["Capture", "capture", "DEVICES", "Device", "get_device", "Raw", "RawMeta"]
