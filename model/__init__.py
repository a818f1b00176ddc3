# SPDX-License-Identifier: Apache-2.0
"""Golden model of the SPIRIT spiking perceptron, bit-exact with rtl/."""

from .batch import BatchResult, run_batch, split_images
from .chip import ChipModel, ImageResult
from .config import DIGITS, SPIRIT, ChipConfig
from .device import DeviceMap, DeviceParams
from .encoding import RateEncoder
from .energy import EnergyModel
from .errors import ConfigError, DataError, SpiritError
from .rram import Crossbar

__all__ = [
    "BatchResult", "ChipConfig", "ChipModel", "ConfigError", "Crossbar", "DIGITS", "DataError",
    "DeviceMap", "DeviceParams", "EnergyModel", "ImageResult", "RateEncoder", "SPIRIT",
    "SpiritError",
    "run_batch", "split_images",
]
