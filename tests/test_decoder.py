"""The numpy decoder (Llama family) behind activation-aware bit allocation for decoders: its forward pass against
values Hugging Face transformers computes, the architectures' variants against each other, the calibration
statistics, and the end-to-end judgement on the bundled tiny decoder (issue 31's target: the activation-aware
allocation beats uniform bits at 3 and 4 bits)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from optalloc.errors import FormatError
from optalloc.families.bitalloc import decoder, encoder
from optalloc.families.bitalloc.safetensors import write

ROOT = Path(__file__).resolve().parent.parent
TEXT = "The committee approved the budget for next year after a long debate."


def _byte_tokenizer() -> dict:
    chars = {b: c for c, b in decoder._byte_chars().items()}
    return {"model": {"type": "BPE", "vocab": {chars[b]: b for b in range(256)}, "merges": []},
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False}}


def _checkpoint(d: Path, arch="llama", *, heads=4, kv_heads=2, hidden=32, inter=48, layers=2, seed=0, weights=None,
                whole=False):
    """A random decoder directory; `weights` (name -> array) replace the generated tensors of their names, or
    all of them when `whole`."""
    rng = np.random.default_rng(seed)
    hd = hidden // heads
    t = {"model.embed_tokens.weight": rng.normal(size=(256, hidden)), "model.norm.weight": 1 + 0.1 * rng.normal(size=hidden),
         "lm_head.weight": rng.normal(size=(256, hidden)) / np.sqrt(hidden)}
    for i in range(layers):
        p = f"model.layers.{i}."
        t[p + "input_layernorm.weight"] = 1 + 0.1 * rng.normal(size=hidden)
        t[p + "post_attention_layernorm.weight"] = 1 + 0.1 * rng.normal(size=hidden)
        for name, shape in {"self_attn.q_proj": (heads * hd, hidden), "self_attn.k_proj": (kv_heads * hd, hidden),
                            "self_attn.v_proj": (kv_heads * hd, hidden), "self_attn.o_proj": (hidden, heads * hd),
                            "mlp.gate_proj": (inter, hidden), "mlp.up_proj": (inter, hidden),
                            "mlp.down_proj": (hidden, inter)}.items():
            t[p + name + ".weight"] = rng.normal(size=shape) / np.sqrt(shape[1])
    t = weights if whole else t | (weights or {})
    d.mkdir()
    write(d / "model.safetensors", {k: np.asarray(v, dtype=np.float32) for k, v in t.items()})
    (d / "config.json").write_text(json.dumps({
        "model_type": arch, "hidden_size": hidden, "intermediate_size": inter, "num_hidden_layers": layers,
        "num_attention_heads": heads, "num_key_value_heads": kv_heads, "rms_norm_eps": 1e-6, "rope_theta": 10000.0}))
    (d / "tokenizer.json").write_text(json.dumps(_byte_tokenizer(), ensure_ascii=False))
    return t


def test_bundled_decoder_computes_what_transformers_computes():
    """Logits of the bundled decoder on one sentence, as transformers' LlamaForCausalLM computed them (5.25,
    torch 2.13 CPU, float32; benchmarks/check_tools.py repeats the comparison with transformers installed)."""
    dec = decoder.Decoder(decoder.bundled_decoder())
    ids = dec.tokenizer.encode(TEXT)
    assert ids.tolist() == list(TEXT.encode())  # one token per byte
    z = dec.logits(ids)
    expected = [[-2.27696, -2.67217, -1.95953, -0.71910, -1.68085, -2.44736],
                [-4.11978, -3.27115, -4.15209, -3.18055, -3.10148, -3.84432],
                [-1.97414, -2.37329, -2.06176, -2.48181, -1.09889, -2.46103]]
    assert np.allclose(z[[0, 5, -1], :6], expected, atol=1e-4)
    assert z.argmax(axis=1)[:20].tolist() == [104, 101, 32, 97, 111, 110, 112, 97, 110, 32, 101, 100, 115, 99, 110,
                                              112, 108, 111, 112, 105]


def test_architectures_agree_where_they_coincide(tmp_path):
    t = _checkpoint(tmp_path / "llama")
    base = decoder.Decoder(tmp_path / "llama")
    ids = base.tokenizer.encode(TEXT)
    z = base.logits(ids)
    # Phi-3 holds q/k/v and gate/up as one matrix each: the same weights, fused, give the same logits
    fused = {}
    for i in range(2):
        p = f"model.layers.{i}."
        fused[p + "self_attn.qkv_proj.weight"] = np.concatenate([t[p + f"self_attn.{x}_proj.weight"] for x in "qkv"])
        fused[p + "mlp.gate_up_proj.weight"] = np.concatenate([t[p + "mlp.gate_proj.weight"], t[p + "mlp.up_proj.weight"]])
    phi = {k: v for k, v in t.items() if not any(f".{x}_proj." in k for x in ("q", "k", "v", "gate", "up"))}
    _checkpoint(tmp_path / "phi3", "phi3", weights=phi | fused, whole=True)
    phi_dec = decoder.Decoder(tmp_path / "phi3")
    assert np.allclose(phi_dec.logits(ids), z, atol=1e-4)
    assert sorted(phi_dec.linear_modules())[:2] == ["model.layers.0.mlp.down_proj", "model.layers.0.mlp.gate_up_proj"]
    # Qwen2's q/k/v biases: zero biases change nothing, others do
    zero = {f"model.layers.{i}.self_attn.{x}_proj.bias": np.zeros(t[f"model.layers.{i}.self_attn.{x}_proj.weight"].shape[0])
            for i in range(2) for x in "qkv"}
    _checkpoint(tmp_path / "qwen2", "qwen2", weights=t | zero)
    assert np.allclose(decoder.Decoder(tmp_path / "qwen2").logits(ids), z, atol=1e-5)
    # grouped KV heads: 4 query heads reading 2 KV heads = 4 KV heads holding each of the 2 twice
    mha = dict(t)
    for i in range(2):
        for x in "kv":
            w = t[f"model.layers.{i}.self_attn.{x}_proj.weight"].reshape(2, 8, 32)
            mha[f"model.layers.{i}.self_attn.{x}_proj.weight"] = np.repeat(w, 2, axis=0).reshape(32, 32)
    _checkpoint(tmp_path / "mha", kv_heads=4, weights=mha)
    assert np.allclose(decoder.Decoder(tmp_path / "mha").logits(ids), z, atol=1e-4)
    # causal: what follows a position never changes its logits
    other = ids.copy()
    other[40:] = 120
    assert np.allclose(base.logits(other)[:40], z[:40], atol=1e-5)
    assert not np.allclose(base.logits(other)[40:], z[40:], atol=1e-3)


def test_calibration_statistics(tmp_path):
    ones = {f"model.layers.{i}.input_layernorm.weight": np.ones(32) for i in range(2)}
    _checkpoint(tmp_path / "d", weights=ones)
    dec = decoder.Decoder(tmp_path / "d")
    texts = encoder.sentences(encoder.CALIBRATION)
    energy = decoder.input_energy(dec, texts)
    assert sorted(energy) == sorted(dec.linear_modules())
    tokens = sum(len(s.encode()) for s in texts)
    # q_proj reads RMSNorm(x) with unit weights: every token's row has mean square 1, so the energies sum to
    # tokens x hidden; k and v read the same input
    q = energy["model.layers.0.self_attn.q_proj"]
    assert np.isclose(q.sum(), tokens * 32, rtol=1e-4)
    assert np.allclose(energy["model.layers.0.self_attn.k_proj"], q)
    gains = [decoder.output_gains(dec, texts, seed=s) for s in (0, 1)]
    assert all(g > 0 for g in gains[0].values())
    for m in gains[0]:  # the noise's draw moves the estimate little
        assert gains[0][m] == pytest.approx(gains[1][m], rel=0.25)


def test_tokenizer_errors_name_the_file_and_the_fix(tmp_path):
    _checkpoint(tmp_path / "d")
    (tmp_path / "d" / "tokenizer.json").unlink()
    with pytest.raises(FormatError) as e:
        decoder.Decoder(tmp_path / "d")
    assert str(e.value) == f"{tmp_path / 'd'}: directory: has no tokenizer.json (needed to calibrate a decoder)"
    (tmp_path / "d" / "tokenizer.json").write_text(json.dumps({"model": {"type": "BPE", "vocab": {"a": 0},
                                                                          "merges": ["a b"]}}))
    try:
        import tokenizers  # noqa: F401
    except ImportError:
        with pytest.raises(FormatError) as e:
            decoder.Decoder(tmp_path / "d")
        assert str(e.value) == (f"{tmp_path / 'd'}: tokenizer.json: needs the tokenizers package to tokenize "
                                f"calibration text (pip install tokenizers)")


def test_activation_aware_beats_uniform_on_the_bundled_decoder():
    """Issue 31's target, on the bundled tiny decoder: with groups of 32 weights at 3 and 4 bits on average, the
    activation-aware allocation gives text closer to the full-precision model's than uniform bits: a lower
    perplexity of the full-precision model's own greedy text, and a lower KL divergence on the held-out
    sentences."""
    from optalloc.families.bitalloc.end_to_end import judge

    rows = judge(decoder.bundled_decoder(), budgets=(3, 4), granularity="group", group_size=32, full_precision=True)
    by = {(r["budget"], r["allocation"]): r for r in rows}
    full = by[(None, "full precision")]
    assert full["output_error"] == 0 and 1.5 < full["perplexity"] < 1.8
    for b in (3, 4):
        aware, uniform = by[(b, "optimal, activation-aware")], by[(b, "uniform")]
        assert aware["status"] == "optimal" and aware["average_bits"] <= b + 1e-9
        assert full["perplexity"] < aware["perplexity"] < uniform["perplexity"]
        assert aware["output_error"] < uniform["output_error"]


def test_quantize_calibrates_a_decoder_directory(tmp_path):
    cfg = tmp_path / "quantize_config.json"
    p = subprocess.run([sys.executable, "-m", "optalloc", "quantize", str(decoder.bundled_decoder()), "--budget",
                        "3.5", "--proxy", "activation", "--target", "gptqmodel", "--group-size", "32", "--config",
                        str(cfg), "--json", "--compare", "bitalloc.uniform"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    rows = [json.loads(x) for x in p.stdout.splitlines()]
    assert rows[0]["method"] == "bitalloc.mckp" and rows[0]["status"] == "optimal"
    assert rows[0]["average_bits"] <= 3.5 + 1e-9
    assert json.loads(cfg.read_text())["quant_method"] == "gptq"


def test_rotary_base_is_read_where_each_transformers_version_writes_it(tmp_path):
    """transformers 5 writes rope_parameters: {rope_theta}; earlier versions rope_theta at the top level."""
    _checkpoint(tmp_path / "d")
    cfg = json.loads((tmp_path / "d" / "config.json").read_text())
    ids = np.frombuffer(TEXT.encode(), dtype=np.uint8).astype(np.int64)
    top = decoder.Decoder(tmp_path / "d").logits(ids)
    cfg.pop("rope_theta")
    cfg["rope_parameters"] = {"rope_type": "default", "rope_theta": 10000.0}
    (tmp_path / "d" / "config.json").write_text(json.dumps(cfg))
    assert np.array_equal(decoder.Decoder(tmp_path / "d").logits(ids), top)
    cfg["rope_parameters"]["rope_theta"] = 500.0
    (tmp_path / "d" / "config.json").write_text(json.dumps(cfg))
    assert decoder.Decoder(tmp_path / "d").theta == 500.0
    assert not np.allclose(decoder.Decoder(tmp_path / "d").logits(ids), top, atol=1e-3)
