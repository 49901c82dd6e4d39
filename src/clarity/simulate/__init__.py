"""Virtual ECG devices streaming real or synthetic recordings to a server (``clarity simulate``)."""

from clarity.simulate.runner import SimulationConfig, run_simulation, simulate
from clarity.simulate.stats import Summary, Verification

__all__ = ["SimulationConfig", "Summary", "Verification", "run_simulation", "simulate"]
