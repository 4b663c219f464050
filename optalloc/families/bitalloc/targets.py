"""Configs the quantization tools load: one integer bit-width per module, from the bit-widths and group sizes
each tool's kernels take, written in the schema its documentation states.

  gptqmodel       quantize_config.json with GPTQModel's `dynamic` overrides: the base "bits" chosen so that vLLM's
                  kernel takes every override (vllm_base_bits); each other module gets a positive override
                  {"+:^name$": {"bits": b}} and each module left in full precision a negative one {"-:^name$": {}}.
                  vLLM applies the first pattern that re.match-es a layer's name, and it names a fused layer
                  (qkv_proj, gate_up_proj) where GPTQModel names its parts: a fused group's one pattern matches both.
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

# modules that vLLM loads as one fused layer, by the last part of their names, and the fused layer's name (vLLM's
# packed_modules_mapping: Llama, Qwen2, Mistral, Gemma build qkv_proj and gate_up_proj; BERT's self-attention
# query/key/value become qkv_proj; Phi-3 checkpoints already hold qkv_proj and gate_up_proj, fused)
FUSED = (("q_proj", "k_proj", "v_proj"), ("gate_proj", "up_proj"), ("query", "key", "value"))
FUSED_NAME = {("q_proj", "k_proj", "v_proj"): "qkv_proj", ("gate_proj", "up_proj"): "gate_up_proj",
              ("query", "key", "value"): "qkv_proj"}


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
    return [sorted(g) for g in _fused_groups(modules)[1].values() if len(g) > 1]


def _fused_groups(modules) -> tuple[list[str], dict[tuple[str, tuple[str, ...]], list[str]]]:
    """(the modules no layer fuses, the others by fused layer: (parent, part names) -> its modules present)."""
    alone, groups = [], {}
    for m in modules:
        g = fused_group_of(m)
        if g is None:
            alone.append(m)
        else:
            groups.setdefault(g, []).append(m)
    return alone, groups


def _exact(name: str) -> str:
    return "^" + re.escape(name) + "$"


def fused_group_of(module: str) -> tuple[str, tuple[str, ...]] | None:
    """(parent, the fused group's part names) of a module vLLM fuses, or None."""
    parent, _, last = module.rpartition(".")
    return next(((parent, g) for g in FUSED if last in g), None)


def _patterns(modules) -> list[tuple[str, list[str]]]:
    """One anchored pattern per module, except that the modules of one fused layer share one pattern matching
    each part's name (what GPTQModel quantizes) and the fused layer's name (what vLLM builds and matches the
    rules against): (pattern, modules it stands for)."""
    alone, groups = _fused_groups(modules)
    out = [(_exact(m), [m]) for m in alone]
    for (parent, parts), members in groups.items():
        names = [*parts, FUSED_NAME[parts]]
        out.append(("^" + re.escape(parent) + r"\.(?:" + "|".join(names) + ")$", members))
    return out


# vLLM picks its GPTQ kernel from the base bits: 4 or 8 take the Marlin kernel, which refuses an override to
# 2 or 3 bits at load ("Unsupported quantization config"); 2 or 3 take the GPTQ kernel, which takes 2, 3, 4 and 8
# in every layer (vLLM 0.8 to 0.11, gptq.py / gptq_marlin.py)
MARLIN_BITS = (4, 8)
VLLM_VERSIONS = "vLLM 0.8 to 0.11"

# How the config will be served (--serve): the bit-widths each target may allocate, and the rule said in words.
#   vllm         what vLLM loads: GPTQModel's `dynamic` with the base bits chosen for the kernel (vllm_base_bits);
#                AutoRound's export picks a kernel per layer (Marlin for 4 and 8 bits, GPTQ for 2 and 3); the
#                compressed-tensors W4A16/W8A16 schemes of llm-compressor take 4 and 8 bits only
#   vllm-marlin  every layer on vLLM's Marlin kernel (the fast one): 4 and 8 bits only
#   none         the tool's own bit-widths, no serving rule (GPTQModel's base bits: the most frequent)
SERVE_MODES = ("vllm", "vllm-marlin", "none")


def serving_bits(tool: "Target", serve: str) -> tuple[tuple[int, ...], str]:
    """(the bit-widths `tool`'s config may use when served by `serve`, the rule said in words)."""
    if serve not in SERVE_MODES:
        raise OptionError(f"--serve {serve!r}: must be one of {', '.join(SERVE_MODES)}")
    if serve == "vllm-marlin":
        return MARLIN_BITS, f"every layer on vLLM's Marlin kernel: bits 4 and 8 only ({VLLM_VERSIONS})"
    if serve == "none":
        return tool.bits, f"{tool.name}'s own bit-widths {', '.join(map(str, tool.bits))}; no serving rule applied"
    if tool.name == "llm-compressor":
        return MARLIN_BITS, (f"vLLM serves compressed-tensors W4A16 and W8A16 weights: bits 4 and 8 only "
                             f"({VLLM_VERSIONS})")
    if tool.name == "autoround":
        return tool.bits, (f"vLLM's auto-round loader picks a kernel per layer (Marlin for 4 and 8 bits, GPTQ for 2 "
                           f"and 3): bits {', '.join(map(str, tool.bits))} ({VLLM_VERSIONS})")
    return tool.bits, (f"vLLM picks its GPTQ kernel from the base bits; the base is chosen so that it takes every "
                       f"override ({VLLM_VERSIONS})")


def vllm_base_bits(bits: dict[str, int]) -> tuple[int, str]:
    """The base bit-width that makes every module's override one vLLM's chosen kernel takes, and the rule said
    in words."""
    used = sorted(set(bits.values()))
    if all(b in MARLIN_BITS for b in used):
        base = Counter(bits.values()).most_common(1)[0][0]
        return base, f"every module has {' or '.join(map(str, used))} bits: base {base}, vLLM's Marlin kernel"
    base = min(b for b in used if b not in MARLIN_BITS)
    return base, (f"modules with {', '.join(str(b) for b in used if b not in MARLIN_BITS)} bits: base {base}, so that "
                  f"vLLM takes its GPTQ kernel (2, 3, 4 and 8 bits per layer); with a base of 4 or 8 its Marlin "
                  f"kernel would refuse the 2- and 3-bit overrides")


def gptqmodel_config(bits: dict[str, int], group_size: int, skipped=(), serve: str = "vllm") -> dict:
    """GPTQModel's quantize_config.json: base bits chosen for vLLM's kernels (vllm_base_bits; the most frequent
    bits when `serve` is "none"), one `+:` override per module (or fused group) of other bits and one `-:` entry
    per module (or fused group) left out, each matching the names GPTQModel and vLLM give it (_patterns)."""
    base = Counter(bits.values()).most_common(1)[0][0] if serve == "none" else vllm_base_bits(bits)[0]
    dynamic = {}
    for pattern, members in _patterns(skipped):
        dynamic[f"-:{pattern}"] = {}
    for pattern, members in _patterns(bits):
        widths = {bits[m] for m in members}
        if len(widths) != 1:
            raise ValueError(f"the fused modules {members} got different bits {sorted(widths)}: they must be tied")
        if widths != {base}:
            dynamic[f"+:{pattern}"] = {"bits": widths.pop()}
    return {"bits": base, "group_size": group_size, "desc_act": False, "sym": True, "lm_head": "lm_head" in bits,
            "quant_method": "gptq", "checkpoint_format": "gptq", "dynamic": dynamic}


def whole_groups(kept: list[str], left_out: list[str]) -> tuple[list[str], list[str]]:
    """An exclusion that splits a fused layer leaves it out whole (vLLM refuses a fused module whose parts differ):
    (kept, left out) with every such group moved to left out."""
    out_groups = {fused_group_of(m) for m in left_out} - {None}
    moved = [m for m in kept if fused_group_of(m) in out_groups]
    return [m for m in kept if m not in moved], [*left_out, *moved]


def autoround_config(bits: dict[str, int], group_size: int, skipped=()) -> dict:
    """AutoRound's arguments: layer_config by the checkpoint's module names (AutoRound quantizes the unfused
    model; its export keeps the names, and vLLM resolves a fused layer from its parts' entries, which the ties
    make equal)."""
    base = Counter(bits.values()).most_common(1)[0][0]
    layers = {m: {"bits": b, "group_size": group_size, "data_type": "int", "sym": True} for m, b in bits.items()}
    layers.update({m: {"bits": 16} for m in skipped})
    return {"bits": base, "group_size": group_size, "sym": True, "layer_config": layers}


def llm_compressor_recipe(bits: dict[str, int], group_size: int, skipped=()) -> str:
    """The recipe as YAML text (JSON-quoted strings are valid YAML double-quoted scalars). A fused group's
    modules share one target ("re:" + _patterns' pattern), which matches each part's name (what llm-compressor
    quantizes and what vLLM checks shard by shard) and the fused layer's name."""
    q = json.dumps
    lines = ["quant_stage:", "  quant_modifiers:", "    GPTQModifier:",
             "      ignore: [" + ", ".join(q(m) for m in [*(["lm_head"] if "lm_head" not in bits else []), *skipped])
             + "]", "      config_groups:"]
    for i, b in enumerate(sorted(set(bits.values()))):
        targets = [f"re:{pattern}" for pattern, members in _patterns(bits) if bits[members[0]] == b]
        lines += [f"        group_{i}:",
                  "          targets: [" + ", ".join(q(t) for t in targets) + "]",
                  "          weights:",
                  f"            num_bits: {b}",
                  "            type: int",
                  "            symmetric: true",
                  "            strategy: group",
                  f"            group_size: {group_size}"]
    return "\n".join(lines) + "\n"


def config_text(name: str, bits: dict[str, int], group_size: int, skipped=(), serve: str = "vllm") -> str:
    """The config of tool `name` for module `bits` (module name -> bit-width), `group_size`, and the modules
    `skipped` (left in full precision), served by `serve` (SERVE_MODES), as the text of its file."""
    if name == "llm-compressor":
        return llm_compressor_recipe(bits, group_size, skipped)
    config = gptqmodel_config(bits, group_size, skipped, serve) if name == "gptqmodel" else \
        autoround_config(bits, group_size, skipped)  # only GPTQModel's base bits depend on the server
    return json.dumps(config, indent=1) + "\n"
