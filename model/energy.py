# SPDX-License-Identifier: Apache-2.0
"""Energy: event counts to joules, at the chip's two published figures.

SPIRIT spends 3.6 pJ per synaptic event in the synapse and neuron, and 180 pJ per synaptic
event for the whole chip, logic and SPI included. A synaptic event is one input spike meeting
one synapse, so an integrated input spike costs n_neurons synaptic events. Skipped and dropped
words cost nothing here: the chip never reads their rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ConfigError

PJ = 1e-12


@dataclass(frozen=True)
class EnergyModel:
    core_pj_per_event: float = 3.6     # synapse and neuron
    chip_pj_per_event: float = 180.0   # whole chip: logic and SPI too

    def __post_init__(self):
        for name in ("core_pj_per_event", "chip_pj_per_event"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and value >= 0):
                raise ConfigError(f"{name} must be a number >= 0, got {value!r}")

    def core_joules(self, syn_events: float) -> float:
        return syn_events * self.core_pj_per_event * PJ

    def chip_joules(self, syn_events: float) -> float:
        return syn_events * self.chip_pj_per_event * PJ
