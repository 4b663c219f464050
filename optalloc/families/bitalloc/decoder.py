"""A Llama-family decoder in numpy, for activation-aware sensitivities and for judging a quantized decoder by its
next-token predictions.

Why numpy and not torch + transformers: as for the encoder (encoder.py), the forward pass is a few dozen lines
of matrix algebra, and torch would add about 2 GB to the install. It runs the models optalloc can calibrate on a
CPU in seconds: the bundled tiny decoder and small checkpoints; a 7B model needs a GPU pipeline elsewhere, whose
statistics `optalloc.quantize` takes as `energy`.

Architectures (config.json's model_type): llama, mistral, qwen2 (biases on q/k/v), phi3 (fused qkv_proj and
gate_up_proj in the checkpoint). The block is pre-norm: x += o_proj(attention(RMSNorm(x))), then
x += down_proj(silu(gate_proj(y)) * up_proj(y)) with y = RMSNorm(x); attention is causal with rotary position
embeddings (Hugging Face's rotate-half convention, `rope_theta`) and grouped KV heads (`num_key_value_heads`).
Rotary scaling (rope_scaling, or a rope_type other than default) is not applied: calibration texts are far
shorter than the context where it acts.

Tokens: a byte-level tokenizer.json without merges (the bundled tiny decoder's) is read here; any other
tokenizer.json needs the `tokenizers` package (pip install tokenizers).

Calibration: `input_energy` returns, for every linear module of the checkpoint, diag(X^T X) of its inputs over
the calibration tokens, as encoder.input_energy does."""
from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from optalloc.errors import FormatError
from optalloc.families.bitalloc.checkpoint import open_checkpoint, with_linear_weights

ARCHITECTURES = ("llama", "mistral", "qwen2", "phi3")


def is_decoder(directory) -> bool:
    """Whether `directory`'s config.json names a decoder architecture this module runs."""
    try:
        return json.loads((Path(directory) / "config.json").read_text()).get("model_type") in ARCHITECTURES
    except (OSError, ValueError):
        return False


def _byte_chars() -> dict[str, int]:
    """GPT-2's map from bytes to printable characters (byte-level BPE vocabularies are written in it), reversed."""
    printable = [*range(33, 127), *range(161, 173), *range(174, 256)]
    out, extra = {}, 0
    for b in range(256):
        if b in printable:
            out[chr(b)] = b
        else:
            out[chr(256 + extra)] = b
            extra += 1
    return out


class Tokenizer:
    """Text -> token ids from a checkpoint's tokenizer.json."""

    def __init__(self, path: Path):
        try:
            spec = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FormatError("directory", "has no tokenizer.json (needed to calibrate a decoder)",
                              source=str(path.parent)) from None
        except ValueError as e:
            raise FormatError("tokenizer.json", f"is not JSON ({e})", source=str(path.parent)) from None
        model = spec.get("model") or {}
        pre = spec.get("pre_tokenizer") or {}
        vocab = model.get("vocab") or {}
        self._bytes = None
        if model.get("type") == "BPE" and not model.get("merges") and pre.get("type") == "ByteLevel" \
                and not pre.get("add_prefix_space") and len(vocab) == 256:
            chars = _byte_chars()
            if set(vocab) == set(chars):  # one token per byte: no BPE to run
                self._bytes = np.array([vocab[c] for c in sorted(chars, key=chars.get)], dtype=np.int64)
                return
        try:
            from tokenizers import Tokenizer as HFTokenizer  # optional: only for tokenizers with merges
        except ImportError:
            raise FormatError("tokenizer.json", "needs the tokenizers package to tokenize calibration text "
                                                "(pip install tokenizers)", source=str(path.parent)) from None
        self._hf = HFTokenizer.from_file(str(path))

    def encode(self, text: str) -> np.ndarray:
        if self._bytes is not None:
            return self._bytes[np.frombuffer(text.encode("utf-8"), dtype=np.uint8)]
        return np.asarray(self._hf.encode(text, add_special_tokens=False).ids, dtype=np.int64)


class Decoder:
    """A Llama-family decoder read from the checkpoint `directory` (config.json, safetensors, tokenizer.json)."""

    def __init__(self, directory):
        d = Path(directory)
        try:
            c = json.loads((d / "config.json").read_text())
        except FileNotFoundError:
            raise FormatError("directory", "is not a decoder checkpoint (config.json is missing)",
                              source=str(d)) from None
        if c.get("model_type") not in ARCHITECTURES:
            raise FormatError("config.json", f"model_type {c.get('model_type')!r}: the numpy decoder runs "
                                             f"{', '.join(ARCHITECTURES)}", source=str(d))
        self.config = c
        self.directory = d
        self.heads = int(c["num_attention_heads"])
        self.kv_heads = int(c.get("num_key_value_heads") or self.heads)
        self.hidden = int(c["hidden_size"])
        self.head_dim = int(c.get("head_dim") or self.hidden // self.heads)
        self.layers = int(c["num_hidden_layers"])
        self.eps = float(c.get("rms_norm_eps", 1e-6))
        # transformers 5 writes the rotary base inside rope_parameters, earlier versions at the top level
        self.theta = float(c.get("rope_theta") or (c.get("rope_parameters") or {}).get("rope_theta") or 10000.0)
        ck = open_checkpoint(d)
        # float32 like the GPU kernels' accumulation; energies are summed in float64
        self.t = {n: np.asarray(ck.tensor(n), dtype=np.float32) for n in ck.names()
                  if ck.dtype(n) not in ("I64", "I32", "U8", "I8")}
        head = "lm_head.weight"
        if head not in self.t:  # tied embeddings
            self.t[head] = self.t["model.embed_tokens.weight"]
        self.tokenizer = Tokenizer(d / "tokenizer.json")
        self.noise = None  # (module, generator, standard deviation) while output_gains measures a module

    def with_weights(self, weights: dict[str, np.ndarray]) -> "Decoder":
        """This decoder with the linear `weights` (module name -> matrix) replaced; other tensors shared."""
        return with_linear_weights(self, weights, np.float32)

    def linear_modules(self) -> list[str]:
        """The checkpoint's linear modules of the decoder blocks, as the forward pass names them."""
        return [n[: -len(".weight")] for n in self.t if n.startswith("model.layers.") and n.endswith("_proj.weight")]

    def _rms(self, x, w):
        return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + self.eps) * w

    def _lin(self, x, name, seen):
        if seen is not None:
            e = seen.setdefault(name, np.zeros(x.shape[-1]))
            e += np.einsum("ij,ij->j", x, x, dtype=np.float64)  # diag(X^T X) over the tokens
        y = x @ self.t[name + ".weight"].T
        bias = self.t.get(name + ".bias")
        if self.noise is not None and name == self.noise[0]:  # output_gains: a known error at this module
            y = y + self.noise[1].standard_normal(y.shape).astype(np.float32) * self.noise[2]
        return y if bias is None else y + bias

    def _rotary(self, n):
        hd = self.head_dim
        inv = self.theta ** (-np.arange(0, hd, 2, dtype=np.float64) / hd)
        ang = np.arange(n, dtype=np.float64)[:, None] * inv[None, :]
        ang = np.concatenate([ang, ang], axis=1)
        return np.cos(ang).astype(np.float32), np.sin(ang).astype(np.float32)

    @staticmethod
    def _rotate(x, cos, sin):  # rotate-half: (a, b) -> (a cos - b sin, b cos + a sin) on the two halves
        half = x.shape[-1] // 2
        return x * cos + np.concatenate([-x[..., half:], x[..., :half]], axis=-1) * sin

    def logits(self, ids, seen=None, *, attention: list | None = None, cache: "KVCache | None" = None) -> np.ndarray:
        """Next-token logits (tokens x vocabulary) for the token ids `ids`; `seen` collects input energies per
        linear module when given; `attention` (a list) receives each layer's attention probabilities (heads x
        queries x keys); `cache` limits the keys each KV head keeps (KVCache)."""
        t, n = self.t, len(ids)
        H, K, hd = self.heads, self.kv_heads, self.head_dim
        x = t["model.embed_tokens.weight"][ids].astype(np.float32)
        cos, sin = self._rotary(n)
        mask = np.triu(np.full((n, n), -np.inf, dtype=np.float32), k=1)
        for i in range(self.layers):
            p = f"model.layers.{i}."
            y = self._rms(x, t[p + "input_layernorm.weight"])
            if p + "self_attn.qkv_proj.weight" in t:  # Phi-3: q, k, v in one matrix
                qkv = self._lin(y, p + "self_attn.qkv_proj", seen)
                q, k, v = np.split(qkv, [H * hd, (H + K) * hd], axis=1)
            else:
                q = self._lin(y, p + "self_attn.q_proj", seen)
                k = self._lin(y, p + "self_attn.k_proj", seen)
                v = self._lin(y, p + "self_attn.v_proj", seen)
            q = self._rotate(q.reshape(n, H, hd).transpose(1, 0, 2), cos, sin)
            k = self._rotate(k.reshape(n, K, hd).transpose(1, 0, 2), cos, sin)
            v = v.reshape(n, K, hd).transpose(1, 0, 2)
            k, v = np.repeat(k, H // K, axis=0), np.repeat(v, H // K, axis=0)  # head h reads KV head h // (H/K)
            s = _softmax(q @ k.transpose(0, 2, 1) / np.float32(math.sqrt(hd)) + mask)
            if attention is not None:
                attention.append(s)
            if cache is not None:
                s = cache.evict(i, s, K)
            a = (s @ v).transpose(1, 0, 2).reshape(n, H * hd)
            x = x + self._lin(a, p + "self_attn.o_proj", seen)
            y = self._rms(x, t[p + "post_attention_layernorm.weight"])
            if p + "mlp.gate_up_proj.weight" in t:  # Phi-3: gate and up in one matrix
                gate, up = np.split(self._lin(y, p + "mlp.gate_up_proj", seen), 2, axis=1)
            else:
                gate, up = self._lin(y, p + "mlp.gate_proj", seen), self._lin(y, p + "mlp.up_proj", seen)
            x = x + self._lin(gate / (1 + np.exp(-gate)) * up, p + "mlp.down_proj", seen)
        return self._rms(x, t["model.norm.weight"]) @ t["lm_head.weight"].T

    def log_probs(self, text: str, seen=None) -> tuple[np.ndarray, np.ndarray]:
        """(log-probabilities of each next token: tokens-1 x vocabulary, the token ids) of `text`."""
        ids = self.tokenizer.encode(text)
        return self.log_probs_of(ids, seen), ids

    def log_probs_of(self, ids, seen=None, cache: "KVCache | None" = None) -> np.ndarray:
        """Log-probabilities of each next token (tokens-1 x vocabulary) after the token ids `ids`."""
        z = self.logits(ids, seen, cache=cache)[:-1].astype(np.float64)
        z -= z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def kl_sum(full: np.ndarray, logp: np.ndarray) -> float:
    """The KL divergences of next-token distributions `logp` from `full` (both log-probabilities, tokens x
    vocabulary), summed over the tokens."""
    return float((np.exp(full) * (full - logp)).sum())


def _softmax(s):
    s = np.exp(s - s.max(axis=-1, keepdims=True))
    return s / s.sum(axis=-1, keepdims=True)


def kept_keys(p: np.ndarray, size: int, sink: int, recent: int) -> np.ndarray:
    """Which keys a cache of `size` tokens keeps for each query (queries x keys, boolean), given the attention
    probabilities `p` (queries x keys, causal) of the query heads that share it: the first `sink` keys, the
    `recent` keys up to the query, and the rest of the room to the keys of largest attention among the others
    (the best any eviction rule can keep: H2O's oracle). A query with no more keys than `size` keeps them all."""
    n = p.shape[-1]
    i, j = np.arange(n)[:, None], np.arange(n)[None, :]
    causal = j <= i
    must = causal & ((j < sink) | (j > i - recent))
    priority = np.where(must, np.inf, np.where(causal, p, -np.inf))
    keep = np.zeros(p.shape, dtype=bool)
    k = min(size, n)
    top = np.argpartition(-priority, k - 1, axis=-1)[:, :k]
    np.put_along_axis(keep, top, True, axis=-1)
    return keep & causal


@dataclass
class KVCache:
    """A KV cache of `sizes[(layer, kv_head)]` tokens per KV head (missing: unlimited), keeping for each query
    the keys kept_keys chooses from the attention of the query heads that share the KV head."""

    sizes: dict
    sink: int = 4
    recent: int = 4

    def evict(self, layer: int, probs: np.ndarray, kv_heads: int) -> np.ndarray:
        """The attention probabilities (heads x queries x keys) renormalised over the keys the cache keeps."""
        H = probs.shape[0]
        out = probs.copy()
        for g in range(kv_heads):
            size = self.sizes.get((layer, g))
            if size is None or size >= probs.shape[-1]:  # room for every key: nothing to evict
                continue
            heads = slice(g * (H // kv_heads), (g + 1) * (H // kv_heads))
            keep = kept_keys(probs[heads].sum(axis=0), size, self.sink, self.recent)
            kept = np.where(keep[None], probs[heads], 0.0)
            out[heads] = kept / kept.sum(axis=-1, keepdims=True)  # softmax over the kept keys only
        return out


def _decoder(model) -> Decoder:
    return model if isinstance(model, Decoder) else Decoder(model)


def input_energy(model, texts: list[str]) -> dict[str, np.ndarray]:
    """Module name -> diag(X^T X) of its inputs over every token of `texts`; `model` is a Decoder or its
    checkpoint directory."""
    dec = _decoder(model)
    seen: dict[str, np.ndarray] = {}
    for s in texts:
        dec.logits(dec.tokenizer.encode(s), seen)
    return seen


@dataclass
class Reference:
    """What the full-precision model does on the judging text: its next-token log-probabilities on each held-out
    sentence, and its own greedy continuation of each sentence's first words (token ids, prompt length)."""

    held_out: list[np.ndarray]
    held_out_ids: list[np.ndarray]
    greedy: list[tuple[np.ndarray, int]]


def greedy_text(model, prompt: str, tokens: int) -> tuple[np.ndarray, int]:
    """(token ids of `prompt` followed by `tokens` greedily chosen ones, the prompt's length in tokens)."""
    dec = _decoder(model)
    ids = list(dec.tokenizer.encode(prompt))
    start = len(ids)
    for _ in range(tokens):
        ids.append(int(np.argmax(dec.logits(np.asarray(ids))[-1])))
    return np.asarray(ids), start


def reference(model, texts: list[str], *, prompt_words: int = 3, new_tokens: int = 64) -> Reference:
    """The full-precision model's Reference on `texts`: log-probabilities of each, and its greedy continuation
    of `new_tokens` after the first `prompt_words` words of each."""
    dec = _decoder(model)
    ids = [dec.tokenizer.encode(s) for s in texts]
    return Reference([dec.log_probs_of(x) for x in ids], ids,
                     [greedy_text(dec, " ".join(s.split()[:prompt_words]), new_tokens) for s in texts])


def quality(model, weights: dict[str, np.ndarray], ref: Reference) -> dict[str, float]:
    """How the decoder `model` with the linear `weights` replaced compares with full precision (`ref`):
    perplexity: of the full-precision model's own greedy text (the continuations only; the text the
        full-precision model finds likeliest, so any departure raises it; the judge for a model whose training
        text is not the held-out text's kind);
    held_out_perplexity: of the held-out sentences;
    output_error: the mean KL divergence of its next-token distributions on the held-out sentences from the
        full-precision model's."""
    dec = _decoder(model).with_weights(weights)
    nll, tokens = 0.0, 0
    for ids, start in ref.greedy:
        lp = dec.log_probs_of(ids)
        at = np.arange(start - 1, len(ids) - 1)  # predictions of the continuation's tokens
        nll -= float(lp[at, ids[at + 1]].sum())
        tokens += len(at)
    held_nll, kl, held_tokens = 0.0, 0.0, 0
    for ids, full in zip(ref.held_out_ids, ref.held_out):
        lp = dec.log_probs_of(ids)
        held_nll -= float(lp[np.arange(len(ids) - 1), ids[1:]].sum())
        kl += kl_sum(full, lp)
        held_tokens += len(ids) - 1
    return {"perplexity": math.exp(nll / tokens), "held_out_perplexity": math.exp(held_nll / held_tokens),
            "output_error": kl / held_tokens}


def output_gains(model, texts: list[str], *, relative: float = 0.05, seed: int = 0) -> dict[str, float]:
    """Module name -> how much next-token KL divergence one unit of squared error in its output costs: Gaussian
    noise of `relative` times the output's RMS is added to that module's output alone, and the KL summed over
    all calibration tokens is divided by the noise energy added (second order: KL = 1/2 e^T F e, so the ratio
    is the Fisher information's mean diagonal along the module's output). Quantizing W adds the error dW x to
    that output, of energy sum_j h_j |dW_:j|^2 (h: input_energy), so gain x that is the KL it costs: it puts
    the errors of every module on one scale, which their raw energies are not."""
    return gains_and_energy(model, texts, relative=relative, seed=seed)[0]


def gains_and_energy(model, texts: list[str], *, relative: float = 0.05, seed: int = 0) -> tuple[dict, dict]:
    """(output_gains, input_energy) of `texts` from one clean pass (which both need) and one noisy pass per
    module."""
    dec = _decoder(model)
    ids = [dec.tokenizer.encode(s) for s in texts]
    tokens = sum(len(x) for x in ids)
    energy: dict[str, np.ndarray] = {}
    reference = [dec.log_probs_of(x, energy) for x in ids]
    gains = {}
    rng = np.random.default_rng(seed)
    for m in energy:
        w = dec.t[m + ".weight"]
        out_rms = math.sqrt(float((energy[m] * (w.astype(np.float64) ** 2).sum(axis=0)).sum()) / (tokens * w.shape[0]))
        sd = relative * out_rms
        noisy = copy.copy(dec)
        noisy.noise = (m, rng, np.float32(sd))
        kl = sum(kl_sum(ref, noisy.log_probs_of(x)) for x, ref in zip(ids, reference))
        added = sd * sd * tokens * w.shape[0]
        gains[m] = max(kl, 0.0) / added if added > 0 else 0.0
    return gains, energy


def bundled_decoder() -> Path:
    """The bundled tiny decoder's directory (instances/decoder in a source checkout, optalloc/bundled/decoder in a
    wheel): a byte-level Llama of 3 layers trained on the standard library's docstrings (make_bundle.py)."""
    here = Path(__file__).resolve().parents[2]  # the optalloc package
    for d in (here.parent / "instances" / "decoder", here / "bundled" / "decoder"):
        if (d / "config.json").is_file():
            return d
    raise FormatError("instances/decoder", "the bundled tiny decoder is missing from this installation")
