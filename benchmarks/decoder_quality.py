"""A decoder judged by its output (issue 31): the bundled tiny decoder (or --model DIR, a Llama-family checkpoint
directory with tokenizer.json) quantized with uniform bits and with the optimal allocation of weight-only and of
activation-aware sensitivities, at 3 and 4 average bits; perplexity of the full-precision model's own greedy text,
perplexity of the bundled held-out sentences, and the KL divergence from full precision on them.

    python benchmarks/decoder_quality.py [--model DIR] [--granularity group] [--group-size 32 64 128]
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from optalloc.families.bitalloc.decoder import bundled_decoder  # noqa: E402
from optalloc.families.bitalloc.end_to_end import judge  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, help="a decoder checkpoint directory (default: the bundled tiny decoder)")
    ap.add_argument("--granularity", default="group", choices=["column", "group", "matrix"])
    ap.add_argument("--group-size", type=int, nargs="+", default=[32, 64, 128])
    args = ap.parse_args()
    model = args.model or bundled_decoder()
    print("| G | allocation | 3 bits: greedy-text ppl / held-out ppl / KL | 4 bits |")
    print("|---|---|---|---|")
    for G in args.group_size:
        rows = judge(model, budgets=(3, 4), granularity=args.granularity, group_size=G, full_precision=True)
        for label in dict.fromkeys(r["allocation"] for r in rows):
            cells = [f"{r['perplexity']:.4f} / {r['held_out_perplexity']:.3f} / {r['output_error']:.4f}"
                     for r in rows if r["allocation"] == label]
            print(f"| {G} | {label} | " + " | ".join(cells) + (" | |" if len(cells) == 1 else " |"))


if __name__ == "__main__":
    main()
