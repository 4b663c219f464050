"""Train the bundled tiny decoder (instances/bitalloc/tiny-decoder/): a byte-level Llama-architecture model
(RMSNorm, rotary attention with grouped KV heads, SwiGLU), small enough to bundle, trained enough that its
activations are those of a language model rather than of random weights.

    /path/to/torch-env/bin/python benchmarks/train_tiny_decoder.py OUT_DIR [--steps 1200]

Needs torch (any CPU build) and safetensors; optalloc itself never imports torch. It is run by
`benchmarks/make_bundle.py --only decoder`, which records the origin in instances/MANIFEST.json.

Training text: the prose paragraphs of the Python standard library's docstrings (this interpreter's) and the
license texts in /usr/share/common-licenses when present. Never the bundled calibration or held-out sentences:
the held-out ones judge the quantized model, and calibrating on the training distribution is what users do.

Output: a Hugging Face-style Llama checkpoint: config.json (model_type llama), model.safetensors (F16) and a
byte-level tokenizer.json (256 byte tokens, no merges), which optalloc's numpy decoder reads."""
from __future__ import annotations

import argparse
import importlib
import inspect
import json
import math
import re
import sys
import warnings
from pathlib import Path

CONFIG = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 256, "hidden_size": 128,
          "intermediate_size": 256, "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 2,
          "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "max_position_embeddings": 256, "tie_word_embeddings": False,
          "hidden_act": "silu", "torch_dtype": "float16"}


def corpus() -> str:
    """Prose paragraphs (letters and light punctuation, one sentence or more, ending with a period)."""
    warnings.simplefilter("ignore")
    skip = {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo"}
    paragraphs = []
    for name in sorted(sys.stdlib_module_names):
        if name.startswith("_") or name in skip:
            continue
        try:
            mod = importlib.import_module(name)
        except Exception:  # platform-specific modules
            continue
        for obj in [mod, *(v for k, v in sorted(vars(mod).items()) if not k.startswith("_")
                           and (inspect.isclass(v) or inspect.isfunction(v)))]:
            paragraphs += re.split(r"\n\s*\n", inspect.getdoc(obj) or "")
    for f in sorted(Path("/usr/share/common-licenses").glob("*")):
        if f.is_file():
            paragraphs += re.split(r"\n\s*\n", f.read_text(errors="ignore"))
    keep = []
    for p in paragraphs:
        t = " ".join(p.split())
        if len(t) > 40 and re.fullmatch(r"[A-Za-z ,.;:'()-]+", t) and t[0].isupper() and t.endswith("."):
            keep.append(t)
    return "\n".join(dict.fromkeys(keep)) + "\n"


def byte_level_tokenizer() -> dict:
    """tokenizer.json for 256 byte tokens: GPT-2's byte-to-character map, a BPE model without merges (the
    `tokenizers` library reads it; optalloc reads this case itself)."""
    printable = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    chars, extra = {}, 0
    for b in range(256):
        if b in printable:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + extra)
            extra += 1
    return {"version": "1.0", "added_tokens": [], "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                              "use_regex": False},
            "post_processor": None, "decoder": {"type": "ByteLevel", "add_prefix_space": False,
                                                "trim_offsets": True, "use_regex": False},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                      "vocab": {chars[b]: b for b in range(256)}, "merges": []}}


def main() -> None:
    import numpy as np
    import torch
    from torch import nn
    from torch.nn import functional as F

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--steps", type=int, default=1200)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    c = CONFIG
    h, nh, nkv, f = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"], c["intermediate_size"]
    hd = h // nh

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.input_layernorm = nn.Parameter(torch.ones(h))
            self.post_attention_layernorm = nn.Parameter(torch.ones(h))
            self.q_proj, self.k_proj = nn.Linear(h, nh * hd, bias=False), nn.Linear(h, nkv * hd, bias=False)
            self.v_proj, self.o_proj = nn.Linear(h, nkv * hd, bias=False), nn.Linear(nh * hd, h, bias=False)
            self.gate_proj, self.up_proj = nn.Linear(h, f, bias=False), nn.Linear(h, f, bias=False)
            self.down_proj = nn.Linear(f, h, bias=False)

    def rms(x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + c["rms_norm_eps"]) * w

    def rotate(x, cos, sin):  # the rotate-half convention of Hugging Face's Llama
        a, b = x[..., : hd // 2], x[..., hd // 2:]
        return x * cos + torch.cat([-b, a], dim=-1) * sin

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(256, h)
            self.blocks = nn.ModuleList(Block() for _ in range(c["num_hidden_layers"]))
            self.norm = nn.Parameter(torch.ones(h))
            self.lm_head = nn.Linear(h, 256, bias=False)

        def forward(self, ids):
            n = ids.shape[1]
            inv = c["rope_theta"] ** (-torch.arange(0, hd, 2, dtype=torch.float32) / hd)
            ang = torch.arange(n, dtype=torch.float32)[:, None] * inv[None, :]
            ang = torch.cat([ang, ang], dim=-1)
            cos, sin = ang.cos(), ang.sin()
            x = self.embed(ids)
            for b in self.blocks:
                y = rms(x, b.input_layernorm)
                q = b.q_proj(y).view(-1, n, nh, hd).transpose(1, 2)
                k = b.k_proj(y).view(-1, n, nkv, hd).transpose(1, 2)
                v = b.v_proj(y).view(-1, n, nkv, hd).transpose(1, 2)
                q, k = rotate(q, cos, sin), rotate(k, cos, sin)
                k, v = k.repeat_interleave(nh // nkv, dim=1), v.repeat_interleave(nh // nkv, dim=1)
                a = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(-1, n, h)
                x = x + b.o_proj(a)
                y = rms(x, b.post_attention_layernorm)
                x = x + b.down_proj(F.silu(b.gate_proj(y)) * b.up_proj(y))
            return self.lm_head(rms(x, self.norm))

    text = corpus().encode()
    data = torch.tensor(np.frombuffer(text, dtype=np.uint8).astype(np.int64))
    print(f"training text: {len(text)} bytes", file=sys.stderr)
    model = Model()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    for step in range(args.steps):
        lr = 3e-3 * min(1.0, (step + 1) / 100) * 0.5 * (1 + math.cos(math.pi * step / args.steps))
        for g in opt.param_groups:
            g["lr"] = lr
        starts = torch.randint(0, len(data) - args.seq - 1, (args.batch,))
        batch = torch.stack([data[s: s + args.seq + 1] for s in starts])
        logits = model(batch[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, 256), batch[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == args.steps - 1:
            print(f"step {step}: loss {loss.item():.3f} (perplexity {math.exp(loss.item()):.2f})", file=sys.stderr)

    sd = {"model.embed_tokens.weight": model.embed.weight, "model.norm.weight": model.norm,
          "lm_head.weight": model.lm_head.weight}
    for i, b in enumerate(model.blocks):
        p = f"model.layers.{i}."
        sd[p + "input_layernorm.weight"] = b.input_layernorm
        sd[p + "post_attention_layernorm.weight"] = b.post_attention_layernorm
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            sd[p + f"self_attn.{name}.weight"] = getattr(b, name).weight
        for name in ("gate_proj", "up_proj", "down_proj"):
            sd[p + f"mlp.{name}.weight"] = getattr(b, name).weight
    from safetensors.numpy import save_file

    args.out.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().numpy().astype(np.float16) for k, v in sd.items()}, str(args.out / "model.safetensors"))
    (args.out / "config.json").write_text(json.dumps(c, indent=1) + "\n")
    (args.out / "tokenizer.json").write_text(json.dumps(byte_level_tokenizer(), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
