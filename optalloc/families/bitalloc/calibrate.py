"""The calibration pass behind the activation-aware proxy: the numpy model a checkpoint directory holds (a
BERT-family encoder or a Llama-family decoder, by its config.json) and the input energies of its linear
modules over calibration sentences."""
from __future__ import annotations

import numpy as np

from optalloc.families.bitalloc import decoder, encoder


def load_model(directory):
    """The numpy model of the checkpoint `directory`: a decoder.Decoder when config.json names a decoder
    architecture, else an encoder.Encoder (which refuses what is not BERT-like, saying so)."""
    return decoder.Decoder(directory) if decoder.is_decoder(directory) else encoder.Encoder(directory)


def _loaded(model):
    return model if isinstance(model, (decoder.Decoder, encoder.Encoder)) else load_model(model)


def input_energy(model, texts: list[str]) -> dict[str, np.ndarray]:
    """Module name -> diag(X^T X) of its inputs over the tokens of `texts`; `model` is a loaded model or its
    checkpoint directory."""
    m = _loaded(model)
    return (decoder if isinstance(m, decoder.Decoder) else encoder).input_energy(m, texts)


def block_pattern(model) -> str:
    """The regular expression of the model's block modules (what an end-to-end judgement quantizes)."""
    return r"model\.layers\.\d+\." if isinstance(model, decoder.Decoder) else r"encoder\.layer\.\d+\."


def activation_energy(model, texts: list[str]) -> tuple[dict[str, np.ndarray], str]:
    """(module name -> the weights of its columns' errors, their scale) for quantize.build_instance's activation
    proxy, from a calibration pass over `texts`:
    encoder: each module's input energies, compared within the module ("module": post-norm blocks rescale what
        each module adds, and raw energies lost to uniform bits on MiniLM);
    decoder: each module's input energies times its output gain (decoder.output_gains: the next-token KL one
        unit of error in its output costs), so that every column's error is in KL and modules compare ("raw").
        Input energies alone (either scale) did not beat uniform bits on the bundled decoder."""
    m = _loaded(model)
    if isinstance(m, decoder.Decoder):
        gains, h = decoder.gains_and_energy(m, texts)  # one clean pass serves both
        return {name: gains[name] * e for name, e in h.items()}, "raw"
    return encoder.input_energy(m, texts), "module"
