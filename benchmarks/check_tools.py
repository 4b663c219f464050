"""Opt-in check (make check-tools): the consumers' own code, run on what optalloc writes and computes.

    make check-tools      # a separate virtual environment (.venv-tools) with torch (CPU), transformers,
                          # compressed-tensors and, when it installs without a GPU, GPTQModel

1. The numpy decoder (optalloc.families.bitalloc.decoder) against Hugging Face transformers' own model classes:
   random tiny checkpoints of each architecture it runs (llama, mistral, qwen2 with q/k/v biases, phi3 with fused
   qkv_proj and gate_up_proj; grouped KV heads) and the bundled tiny decoder; the largest logit difference must
   stay below 1e-4 (both in float32).
2. llm-compressor recipes: every config group validated by compressed-tensors' QuantizationScheme, and its targets
   matched by compressed-tensors' own matcher against the module names of the transformers model (built on the
   meta device from config.json): each quantized module in exactly the group of the bits optalloc allocated,
   each left-out module in `ignore`.
3. GPTQModel quantize_config.json loaded by GPTQModel's QuantizeConfig (skipped, saying so, when GPTQModel
   cannot be installed here).

Run by the interpreter of that environment, with optalloc importable (the Makefile installs it there too).
Exit 1 on any failure."""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FAILED: list[str] = []


def check(ok: bool, what: str) -> None:
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        FAILED.append(what)


def tiny_checkpoint(d: Path, arch: str, seed: int) -> None:
    """A random checkpoint of `arch` with its config.json and a byte-level tokenizer.json."""
    import torch
    from safetensors.torch import save_file
    from transformers import AutoConfig, AutoModelForCausalLM

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from train_tiny_decoder import byte_level_tokenizer

    torch.manual_seed(seed)
    common = dict(vocab_size=256, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, max_position_embeddings=128, rms_norm_eps=1e-5, rope_theta=5000.0,
                  tie_word_embeddings=(arch == "qwen2"))
    cfg = AutoConfig.for_model(arch, **common)
    if arch == "phi3":
        cfg.pad_token_id = 0
    model = AutoModelForCausalLM.from_config(cfg).float().eval()
    with torch.no_grad():
        for p in model.parameters():  # norms and biases away from 1 and 0, so that a missed term shows
            p.add_(torch.randn_like(p) * 0.05)
    d.mkdir(parents=True)
    cfg.save_pretrained(d)
    save_file({k: v.contiguous() for k, v in model.state_dict().items() if not (cfg.tie_word_embeddings and k == "lm_head.weight")},
              str(d / "model.safetensors"))
    (d / "tokenizer.json").write_text(json.dumps(byte_level_tokenizer(), ensure_ascii=False))


def check_decoder(d: Path, label: str) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    from optalloc.families.bitalloc.decoder import Decoder

    text = "The committee approved the budget for next year after a long debate."
    dec = Decoder(d)
    ids = dec.tokenizer.encode(text)
    ours = dec.logits(ids)
    model = AutoModelForCausalLM.from_pretrained(d, torch_dtype=torch.float32).eval()
    with torch.no_grad():
        theirs = model(torch.tensor([ids])).logits[0].numpy()
    diff = float(np.abs(ours - theirs).max())
    check(diff < 1e-4, f"numpy decoder = transformers ({label}): largest logit difference {diff:.2e}")


def check_recipe(model_dir: Path, work: Path) -> None:
    import yaml
    from compressed_tensors.quantization import QuantizationArgs, QuantizationScheme
    from compressed_tensors.utils import is_match
    from transformers import AutoConfig, AutoModelForCausalLM

    recipe, log = work / "recipe.yaml", work / "rows.json"
    for exclude in (None, r"layers\.0\.self_attn\.k_proj"):
        p = subprocess.run([sys.executable, "-m", "optalloc", "quantize", str(model_dir), "--budget", "5",
                            "--target", "llm-compressor", "--group-size", "32", "--config", str(recipe), "--force",
                            "--json", *(["--exclude", exclude] if exclude else [])], capture_output=True, text=True)
        if p.returncode:
            check(False, f"optalloc quantize --target llm-compressor: {p.stderr.strip()}")
            return
        mod = yaml.safe_load(recipe.read_text())["quant_stage"]["quant_modifiers"]["GPTQModifier"]
        schemes = {}
        for name, group in mod["config_groups"].items():
            schemes[name] = QuantizationScheme(targets=group["targets"], weights=QuantizationArgs(**group["weights"]))
        check(True, f"compressed-tensors accepts the {len(schemes)} config groups (exclude={exclude})")
        with __import__("torch").device("meta"):
            model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(model_dir))
        wrong = []
        for name, module in model.named_modules():
            if not name.startswith("model.layers.") or not name.endswith("_proj"):
                continue
            groups = [g for g, s in schemes.items() if any(is_match(name, module, t) for t in s.targets)]
            ignored = any(is_match(name, module, t) for t in mod["ignore"])
            if ignored == bool(groups) or len(groups) > 1:
                wrong.append((name, groups, ignored))
        check(not wrong, f"compressed-tensors matches every module to one group or to ignore (exclude={exclude})"
              + (f": {wrong[:3]}" if wrong else ""))


def check_gptqmodel(model_dir: Path, work: Path) -> None:
    try:
        from gptqmodel.quantization.config import QuantizeConfig
    except Exception as e:  # not installable without a GPU toolchain here, or an import-time failure
        print(f"skip  GPTQModel's QuantizeConfig: gptqmodel is not importable ({type(e).__name__}: {e})")
        return
    cfg = work / "quantize_config.json"
    p = subprocess.run([sys.executable, "-m", "optalloc", "quantize", str(model_dir), "--budget", "3.5", "--target",
                        "gptqmodel", "--group-size", "32", "--config", str(cfg), "--force", "--json"],
                       capture_output=True, text=True)
    if p.returncode:
        check(False, f"optalloc quantize --target gptqmodel: {p.stderr.strip()}")
        return
    raw = json.loads(cfg.read_text())
    qc = QuantizeConfig.from_quant_config(raw) if hasattr(QuantizeConfig, "from_quant_config") else QuantizeConfig(**raw)
    check(qc.bits == raw["bits"] and len(qc.dynamic or {}) == len(raw["dynamic"]),
          f"GPTQModel's QuantizeConfig loads quantize_config.json (base {qc.bits} bits, "
          f"{len(raw['dynamic'])} dynamic rules)")


def main() -> int:
    bundled = ROOT / "instances" / "decoder"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for i, arch in enumerate(("llama", "mistral", "qwen2", "phi3")):
            tiny_checkpoint(work / arch, arch, seed=i)
            check_decoder(work / arch, arch)
        if bundled.is_dir():
            check_decoder(bundled, "the bundled tiny decoder")
        check_recipe(work / "llama", work)
        check_gptqmodel(work / "llama", work)
    print(f"{len(FAILED)} failed" if FAILED else "all checks passed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
