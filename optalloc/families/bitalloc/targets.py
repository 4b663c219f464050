"""Configs the quantization tools load: one integer bit-width per module, from the bit-widths and group sizes
each tool's kernels take, written in the schema its documentation states.

  gptqmodel       quantize_config.json with GPTQModel's `dynamic` overrides: the most common bit-width is the
                  base "bits"; each other module gets a positive override {"+:^name$": {"bits": b}} and each
                  module left in full precision a negative one {"-:^name$": {}}. vLLM applies the first pattern
                  that re.match-es a module's name, so every pattern is anchored to one module.
  autoround       the arguments of AutoRound(model, tokenizer, bits=..., group_size=..., sym=..., layer_config=...):
                  layer_config maps each module to {"bits", "group_size", "data_type": "int", "sym"}; a module
                  left in full precision gets bits 16, which AutoRound leaves unquantized.
  llm-compressor  a recipe (YAML) for GPTQModifier: one config group per bit-width with its target modules
                  ("re:^name$") and its weights scheme (num_bits, type int, symmetric, strategy group,
                  group_size); `ignore` lists lm_head and the modules left in full precision.

vLLM fuses q/k/v projections (and gate/up) into one layer, which must have one bit-width (GPTQModel #1485: an
assertion otherwise), so the allocation ties those modules of a layer together (fused_ties)."""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass

from optalloc.errors import OptionError

# modules that vLLM loads as one fused layer, by the last part of their names
FUSED = (("q_proj", "k_proj", "v_proj"), ("gate_proj", "up_proj"), ("query", "key", "value"))


@dataclass(frozen=True)
class Target:
    """A quantization tool: the bit-widths and group sizes its kernels take, and its config's file format."""

    name: str
    bits: tuple[int, ...]
    group_sizes: tuple[int, ...]
    suffix: str  # the config file's usual extension
    help: str


TARGETS = {
    "gptqmodel": Target("gptqmodel", (2, 3, 4, 8), (32, 64, 128), ".json",
                        "GPTQModel / vLLM quantize_config.json with per-module `dynamic` overrides"),
    "autoround": Target("autoround", (2, 3, 4, 8), (32, 64, 128), ".json",
                        "AutoRound's arguments with a per-module layer_config"),
    # vLLM's compressed-tensors W(4|8)A16 kernels: int weights of 4 or 8 bits
    "llm-compressor": Target("llm-compressor", (4, 8), (32, 64, 128), ".yaml",
                             "an llm-compressor GPTQModifier recipe, one config group per bit-width"),
}


def target(name: str, group_size: int) -> Target:
    """The Target `name`, checked against `group_size` (OptionError naming the flag otherwise)."""
    if name not in TARGETS:
        raise OptionError(f"--target {name!r}: must be one of {', '.join(TARGETS)}")
    t = TARGETS[name]
    if group_size not in t.group_sizes:
        raise OptionError(f"--group-size {group_size}: {name} takes group sizes "
                          f"{', '.join(map(str, t.group_sizes))}")
    return t


def fused_ties(modules) -> list[list[str]]:
    """Groups of module names that one fused layer holds (the q/k/v or gate/up projections of one block)."""
    by_parent: dict[tuple[str, tuple], list[str]] = {}
    for m in modules:
        parent, _, last = m.rpartition(".")
        for group in FUSED:
            if last in group:
                by_parent.setdefault((parent, group), []).append(m)
    return [sorted(g) for g in by_parent.values() if len(g) > 1]


def _exact(name: str) -> str:
    return "^" + re.escape(name) + "$"


def gptqmodel_config(bits: dict[str, int], group_size: int, skipped=()) -> dict:
    base = Counter(bits.values()).most_common(1)[0][0]
    dynamic = {f"+:{_exact(m)}": {"bits": b} for m, b in bits.items() if b != base}
    dynamic.update({f"-:{_exact(m)}": {} for m in skipped})
    return {"bits": base, "group_size": group_size, "desc_act": False, "sym": True, "lm_head": "lm_head" in bits,
            "quant_method": "gptq", "checkpoint_format": "gptq", "dynamic": dynamic}


def autoround_config(bits: dict[str, int], group_size: int, skipped=()) -> dict:
    base = Counter(bits.values()).most_common(1)[0][0]
    layers = {m: {"bits": b, "group_size": group_size, "data_type": "int", "sym": True} for m, b in bits.items()}
    layers.update({m: {"bits": 16} for m in skipped})
    return {"bits": base, "group_size": group_size, "sym": True, "layer_config": layers}


def llm_compressor_recipe(bits: dict[str, int], group_size: int, skipped=()) -> str:
    """The recipe as YAML text (JSON-quoted strings are valid YAML double-quoted scalars)."""
    q = json.dumps
    lines = ["quant_stage:", "  quant_modifiers:", "    GPTQModifier:",
             "      ignore: [" + ", ".join(q(m) for m in [*(["lm_head"] if "lm_head" not in bits else []), *skipped])
             + "]", "      config_groups:"]
    for i, b in enumerate(sorted(set(bits.values()))):
        targets = [f"re:{_exact(m)}" for m, v in bits.items() if v == b]
        lines += [f"        group_{i}:",
                  "          targets: [" + ", ".join(q(t) for t in targets) + "]",
                  "          weights:",
                  f"            num_bits: {b}",
                  "            type: int",
                  "            symmetric: true",
                  "            strategy: group",
                  f"            group_size: {group_size}"]
    return "\n".join(lines) + "\n"


def config_text(name: str, bits: dict[str, int], group_size: int, skipped=()) -> str:
    """The config of tool `name` for module `bits` (module name -> bit-width), `group_size`, and the modules
    `skipped` (left in full precision), as the text of its file."""
    if name == "llm-compressor":
        return llm_compressor_recipe(bits, group_size, skipped)
    make = gptqmodel_config if name == "gptqmodel" else autoround_config
    return json.dumps(make(bits, group_size, skipped), indent=1) + "\n"
