"""Online allocation with stochastic rewards: benchmark LPs and simulation of online algorithms."""
from .stochastic import (StochasticInstance, configuration_lp, generate, matching_lp, simulate)

__all__ = ["StochasticInstance", "configuration_lp", "generate", "matching_lp", "simulate"]
