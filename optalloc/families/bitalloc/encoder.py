"""A BERT-family sentence encoder in numpy, for activation-aware sensitivities and for judging a quantized model
by what it outputs.

Why numpy and not torch + transformers: the only model the family evaluates end to end is MiniLM-L6 (a
BERT encoder, sentence-transformers' all-MiniLM-L6-v2), whose forward pass is a few dozen lines of matrix
algebra; torch would add about 2 GB to the install for it. Decoders (Llama and the like) have their own numpy
forward pass (decoder.py); calibrate.py picks the one a checkpoint's config.json names.

The encoder reads a BERT checkpoint directory (config.json, vocab.txt, model.safetensors): WordPiece tokens
(lower-cased, accents stripped, punctuation split, greedy longest match), embeddings, `num_hidden_layers`
blocks of self-attention and GELU feed-forward with post-layer-norm, then mean pooling over the tokens and
L2 normalisation (the sentence-transformers pipeline of all-MiniLM-L6-v2).

Calibration: `input_energy` runs the encoder on calibration sentences and returns, for every linear layer, the
diagonal of X^T X over all calibration tokens (X: the layer's inputs): BAQ's Hessian proxy. A column j of W
whose inputs carry energy h_j contributes h_j * |dW_:j|^2 to the expected output error, so the error tables
weigh each weight's quantization error by the energy of its input."""
from __future__ import annotations

import json
import math
import unicodedata
from pathlib import Path

import numpy as np

from optalloc.errors import FormatError
from optalloc.families.bitalloc.checkpoint import open_checkpoint, with_linear_weights

CALIBRATION = Path(__file__).resolve().parent / "calibration.txt"
HELD_OUT = Path(__file__).resolve().parent / "held_out.txt"


def sentences(path) -> list[str]:
    """The non-blank lines of the text file at `path`, one sentence each (a FormatError when there are none or
    the file cannot be read)."""
    from optalloc.instances.text import read_text

    text, src = read_text(path)
    out = [line.strip() for line in text.splitlines() if line.strip()]
    if not out:
        raise FormatError("file", "holds no sentences (one per line)", source=src)
    return out


class WordPiece:
    """BERT's uncased tokenizer: basic splitting, then greedy longest-match WordPiece over `vocab`."""

    def __init__(self, vocab: list[str], max_chars: int = 100):
        self.ids = {t: i for i, t in enumerate(vocab)}
        self.max_chars = max_chars
        self.cls, self.sep, self.unk = self.ids["[CLS]"], self.ids["[SEP]"], self.ids["[UNK]"]

    @staticmethod
    def _basic(text: str) -> list[str]:
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")  # accents off
        out, word = [], []
        for c in text:
            cat = unicodedata.category(c)
            if c.isspace() or cat.startswith("C"):
                if word:
                    out.append("".join(word))
                    word = []
            elif cat.startswith("P") or (c.isascii() and not c.isalnum()) or _is_cjk(c):
                if word:
                    out.append("".join(word))
                    word = []
                out.append(c)
            else:
                word.append(c)
        if word:
            out.append("".join(word))
        return out

    def _pieces(self, word: str) -> list[int]:
        if len(word) > self.max_chars:
            return [self.unk]
        out, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    out.append(self.ids[piece])
                    break
                end -= 1
            else:
                return [self.unk]
            start = end
        return out

    def encode(self, text: str, max_len: int = 128) -> list[int]:
        """[CLS] tokens [SEP], cut to `max_len` ids."""
        ids = [i for w in self._basic(text) for i in self._pieces(w)]
        return [self.cls] + ids[: max_len - 2] + [self.sep]


def _is_cjk(c: str) -> bool:
    o = ord(c)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF


def _gelu(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def _erf(x):
    from scipy.special import erf

    return erf(x)


def _layer_norm(x, g, b, eps):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


class Encoder:
    """A BERT sentence encoder from the checkpoint `directory` (with_weights: a quantized copy, say)."""

    def __init__(self, directory):
        d = Path(directory)
        try:
            self.config = json.loads((d / "config.json").read_text())
            vocab = (d / "vocab.txt").read_text(encoding="utf-8").splitlines()
        except FileNotFoundError as e:
            raise FormatError("directory", f"is not a BERT checkpoint ({Path(e.filename).name} is missing)",
                              source=str(d)) from None
        if self.config.get("model_type") not in ("bert", None):
            raise FormatError("config.json", f"model_type {self.config.get('model_type')!r}: the numpy encoder "
                                             f"runs BERT-family encoders only", source=str(d))
        self.tokenizer = WordPiece(vocab)
        ck = open_checkpoint(d)
        self.t = {n: np.asarray(ck.tensor(n), dtype=np.float64) for n in ck.names()
                  if ck.dtype(n) not in ("I64", "I32")}
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in self.t else ""
        self.prefix = prefix
        self.heads = int(self.config["num_attention_heads"])
        self.layers = int(self.config["num_hidden_layers"])
        self.eps = float(self.config.get("layer_norm_eps", 1e-12))

    def with_weights(self, weights: dict[str, np.ndarray]) -> "Encoder":
        """This encoder with the linear `weights` (module name -> matrix) replaced; the other tensors are shared,
        not read again."""
        return with_linear_weights(self, weights, np.float64)

    def linear_modules(self) -> list[str]:
        p = self.prefix
        names = []
        for i in range(self.layers):
            b = f"{p}encoder.layer.{i}."
            names += [b + "attention.self.query", b + "attention.self.key", b + "attention.self.value",
                      b + "attention.output.dense", b + "intermediate.dense", b + "output.dense"]
        return names

    def _lin(self, x, name, seen):
        if seen is not None:
            e = seen.setdefault(name, np.zeros(x.shape[-1]))
            e += (x * x).sum(axis=0)  # diag(X^T X) over the tokens
        return x @ self.t[name + ".weight"].T + self.t[name + ".bias"]

    def embed_one(self, text: str, seen=None) -> np.ndarray:
        """The sentence embedding of `text` (mean of the token states, unit length); `seen` collects input
        energies per linear module when given."""
        p, t = self.prefix, self.t
        ids = self.tokenizer.encode(text)
        n = len(ids)
        h = t[f"{p}embeddings.word_embeddings.weight"][ids] + t[f"{p}embeddings.position_embeddings.weight"][:n] \
            + t[f"{p}embeddings.token_type_embeddings.weight"][0]
        h = _layer_norm(h, t[f"{p}embeddings.LayerNorm.weight"], t[f"{p}embeddings.LayerNorm.bias"], self.eps)
        H = self.heads
        dh = h.shape[1] // H
        for i in range(self.layers):
            b = f"{p}encoder.layer.{i}."
            q = self._lin(h, b + "attention.self.query", seen).reshape(n, H, dh).transpose(1, 0, 2)
            k = self._lin(h, b + "attention.self.key", seen).reshape(n, H, dh).transpose(1, 0, 2)
            v = self._lin(h, b + "attention.self.value", seen).reshape(n, H, dh).transpose(1, 0, 2)
            s = q @ k.transpose(0, 2, 1) / math.sqrt(dh)
            s = np.exp(s - s.max(axis=-1, keepdims=True))
            s /= s.sum(axis=-1, keepdims=True)
            ctx = (s @ v).transpose(1, 0, 2).reshape(n, H * dh)
            a = self._lin(ctx, b + "attention.output.dense", seen)
            h = _layer_norm(a + h, t[b + "attention.output.LayerNorm.weight"], t[b + "attention.output.LayerNorm.bias"],
                            self.eps)
            f = _gelu(self._lin(h, b + "intermediate.dense", seen))
            o = self._lin(f, b + "output.dense", seen)
            h = _layer_norm(o + h, t[b + "output.LayerNorm.weight"], t[b + "output.LayerNorm.bias"], self.eps)
        e = h.mean(axis=0)
        return e / np.linalg.norm(e)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Sentence embeddings of `texts`, one row each."""
        return np.stack([self.embed_one(s) for s in texts])


def _encoder(model) -> Encoder:
    return model if isinstance(model, Encoder) else Encoder(model)


def input_energy(model, texts: list[str]) -> dict[str, np.ndarray]:
    """Module name -> diag(X^T X) of its inputs over every token of `texts` (the calibration pass); `model` is
    an Encoder or its checkpoint directory."""
    enc = _encoder(model)
    seen: dict[str, np.ndarray] = {}
    for s in texts:
        enc.embed_one(s, seen)
    return seen


def cosine_to_reference(model, weights: dict[str, np.ndarray], texts: list[str],
                        reference: np.ndarray | None = None) -> tuple[float, float, np.ndarray]:
    """(mean cosine similarity, mean squared distance) of the sentence embeddings of `texts` computed by `model`
    (an Encoder or its checkpoint directory) with the linear `weights` replaced, against `reference` (default:
    the full-precision embeddings, also returned)."""
    base = _encoder(model)
    if reference is None:
        reference = base.embed(texts)
    got = base.with_weights(weights).embed(texts)
    cos = float(np.mean(np.sum(got * reference, axis=1)))  # both unit length
    return cos, float(np.mean(np.sum((got - reference) ** 2, axis=1))), reference
