"""Rebuild the bundled instance files from ../shared/data (and the seeded generators), and their manifest.

    python benchmarks/make_bundle.py           # needs ../shared/data beside the repository
    python benchmarks/make_bundle.py --only matching models checkpoint allocate   # those alone (no shared data)
    TORCH_PYTHON=/path/to/python-with-torch python benchmarks/make_bundle.py --only decoder   # trains it (3 min)

The bundle is small on purpose: it is what `make run`, the notebooks and the tests use. Every file's origin
is recorded in instances/MANIFEST.json."""
from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent / "instances"
sys.path.insert(0, str(HERE.parent))

from optalloc import make_instance, save, solve  # noqa: E402
from optalloc.instances.format import Reference  # noqa: E402
from optalloc.families.knapsack import generators as gen  # noqa: E402
from optalloc.families.knapsack.readers import read_mknap, read_pisinger  # noqa: E402

SHARED = HERE.parent.parent / "shared" / "data" / "knapsack"


def pick(path: Path, numbers: list[int]):
    insts = read_pisinger(path)
    return [i for i in insts if int(i.name.rsplit("_", 1)[1]) in numbers]


def proven(inst, source: str):
    """Attach a reference proven by two independent exact methods that agree."""
    a = solve(inst, "knapsack.mip")
    b = solve(inst, "knapsack.cpsat")
    assert str(a.status) == str(b.status) == "optimal" and a.objective == b.objective, (inst.name, a, b)
    inst.reference = Reference(a.objective, "optimal", source)
    return inst


def tardiness(suites: dict) -> None:
    """Raw copies of OR-Library wt40 (with wtopt40) and the seed's 20-job set, plus a small JSONL demo."""
    import shutil

    from optalloc.families.tardiness.generators import potts_vw
    from optalloc.families.tardiness.readers import read_orlib_wt, read_smtt

    src = HERE.parent.parent / "shared" / "data" / "smtt"
    out = HERE / "tardiness"
    out.mkdir(exist_ok=True)
    for f in ("wt40.txt", "wtopt40.txt", "smtt_n20.txt"):
        shutil.copyfile(src / f, out / f)
    suites["wt40"] = {
        "files": ["tardiness/wt40.txt"], "reader": "orlib-wt", "problems": ["tardiness"], "reference_kind": "optimal",
        "provenance": "OR-Library wt40 and wtopt40 (Beasley), copied byte for byte from ../shared/data/smtt "
                      "(origin sepear/AntColony @ fcb161bb; all 125 optima re-proven there with Tanaka's SiPS)",
        "instances": 125}
    suites["smtt-n20"] = {
        "files": ["tardiness/smtt_n20.txt"], "reader": "smtt", "problems": ["tardiness"], "reference_kind": "optimal",
        "provenance": "Çetinkaya et al. (2025) 20-job test set (ibrahimoguzc/DiscoverHeuristics @ 2a3541ba, "
                      "data_20_800_new_.npy, converted to text in ../shared/data/smtt), optima by their subset DP, "
                      "re-proven with SiPS",
        "instances": 800}
    wt = read_orlib_wt(out / "wt40.txt")
    demo = [wt[i] for i in (0, 5, 10, 15, 25, 30, 60, 95)]
    n100 = read_smtt(src / "smtt_n100.txt")
    demo += [n100[i] for i in (2, 17, 45, 120, 199)]
    for seed, (tf, rdd) in enumerate([(0.6, 0.2), (0.8, 0.6)]):
        inst = potts_vw(12, tf, rdd, weighted=True, seed=seed)
        a = solve(inst, "tardiness.dp")
        b = solve(inst, "tardiness.mip_time_indexed", time_limit=300)
        assert str(a.status) == str(b.status) == "optimal" and a.objective == b.objective, (inst.name, a, b)
        inst.reference = Reference(a.objective, "optimal", "optalloc: tardiness.dp and the time-indexed MIP agree, both proven")
        demo.append(inst)
    save(demo, out / "demo.jsonl", overwrite=True)
    suites["smtt-demo"] = {
        "files": ["tardiness/demo.jsonl"], "reader": "optalloc", "problems": ["tardiness"],
        "reference_kind": "optimal",
        "provenance": "OR-Library wt40 #1, 6, 11, 16, 26, 31, 61, 96 (optima wtopt40); smtt_n100 #3, 18, 46, 121, 200 "
                      "(Branch & Memorize optima, re-proven with SiPS); two seeded Potts-Van Wassenhove 12-job "
                      "weighted instances proven by tardiness.dp and the time-indexed MIP on HiGHS agreeing",
        "instances": len(demo)}


def _agreed(inst, a: str, b: str, source: str):
    """Attach the reference two independent exact methods agree on (or fail loudly)."""
    ra, rb = solve(inst, a, time_limit=120), solve(inst, b, time_limit=120)
    assert str(ra.status) == str(rb.status) == "optimal" and abs(ra.objective - rb.objective) <= 1e-9 * max(
        1.0, abs(ra.objective)), (inst.name, ra, rb)
    inst.reference = Reference(ra.objective, "optimal", source)
    return inst


def matching(suites: dict) -> None:
    """A small instance of every matching kind from the seeded generators, each optimum proven by two methods."""
    from optalloc.families.matching import generators as mg

    insts = [
        _agreed(mg.assignment(12, seed=1), "assignment.lapjv", "assignment.lp", "optalloc: lapjv and the LP agree"),
        _agreed(mg.gap(4, 24, "C", seed=1), "gap.mip", "gap.cpsat", "optalloc: HiGHS and CP-SAT agree"),
        _agreed(mg.gap(5, 30, "D", seed=2), "gap.mip", "gap.cpsat", "optalloc: HiGHS and CP-SAT agree"),
        _agreed(mg.makespan(3, 15, seed=1), "makespan.mip", "makespan.cpsat", "optalloc: HiGHS and CP-SAT agree"),
        _agreed(mg.routing(40, 4, seed=1), "routing.mip", "routing.mip", "optalloc: HiGHS (an LP-tight MIP)"),
        _agreed(mg.bmatching(5, 20, seed=1), "bmatching.lp", "bmatching.lp", "optalloc: HiGHS (its LP is integral)"),
        _agreed(mg.adwords(4, 20, seed=1), "adwords.mip", "adwords.mip", "optalloc: HiGHS"),
    ]
    (HERE / "matching").mkdir(exist_ok=True)
    save(insts, HERE / "matching/demo.jsonl", overwrite=True)
    suites["matching-demo"] = {
        "files": ["matching/demo.jsonl"], "reader": "optalloc", "problems": sorted({i.problem for i in insts}),
        "reference_kind": "optimal",
        "provenance": "optalloc's seeded generators (assignment, GAP types C and D, makespan, routing, b-matching, "
                      "AdWords; seeds 1-2), optima proven by two exact methods agreeing where two exist",
        "instances": len(insts)}


def models(suites: dict) -> None:
    """Two small models of one's own as a user writes them: an LP file read by HiGHS, solved by model.highs."""
    from optalloc import load

    out = HERE / "model"
    insts = [inst for f in sorted(out.glob("*.lp")) for inst in load(f)]
    for inst in insts:
        _agreed(inst, "model.highs", "model.highs", "optalloc: HiGHS, certified against the model's rows")
    save(insts, out / "demo.jsonl", overwrite=True)
    suites["model-demo"] = {
        "files": ["model/demo.jsonl"], "reader": "optalloc", "problems": ["linear_model"],
        "reference_kind": "optimal", "provenance": "instances/model/*.lp, written by hand; optima from HiGHS",
        "instances": len(insts)}


def checkpoint(suites: dict) -> None:
    """A tiny Llama-shaped checkpoint (2 layers, hidden 64, F16, seeded Student-t weights) for the quantize
    examples: small enough to bundle, shaped like what users have (q/k/v/o and gate/up/down per layer)."""
    import numpy as np

    from optalloc.families.bitalloc.safetensors import write

    rng = np.random.default_rng(0)
    h, f = 64, 128
    shapes = {"self_attn.q_proj": (h, h), "self_attn.k_proj": (h, h), "self_attn.v_proj": (h, h),
              "self_attn.o_proj": (h, h), "mlp.gate_proj": (f, h), "mlp.up_proj": (f, h), "mlp.down_proj": (h, f)}
    tensors = {"model.embed_tokens.weight": (rng.standard_normal((256, h)) * 0.02).astype(np.float16)}
    for layer in range(2):
        for name, shape in shapes.items():
            w = rng.standard_t(4, shape) * rng.lognormal(-3.5, 0.4)
            tensors[f"model.layers.{layer}.{name}.weight"] = w.astype(np.float16)
    tensors["lm_head.weight"] = (rng.standard_normal((256, h)) * 0.02).astype(np.float16)
    write(HERE / "bitalloc/tiny-llama.safetensors", tensors, overwrite=True)


def decoder(suites: dict) -> None:
    """The tiny decoder (instances/decoder/): a byte-level Llama-architecture model trained here on the standard
    library's docstrings (benchmarks/train_tiny_decoder.py, seeded), for judging decoder quantization end to end
    without a download. Training needs torch: TORCH_PYTHON names an interpreter that has it."""
    import os
    import subprocess

    python = os.environ.get("TORCH_PYTHON", sys.executable)
    subprocess.run([python, str(HERE.parent / "benchmarks/train_tiny_decoder.py"), str(HERE / "decoder")], check=True)


def allocate_demo(suites: dict) -> None:
    """A table for `optalloc allocate`: 24 attention heads (4 layers x 6), cache sizes of 1-8 blocks of 64 tokens,
    and the attention mass each size keeps (a saturating curve per head, steeper for local heads; seeded)."""
    import numpy as np

    rng = np.random.default_rng(0)
    lines = ["unit,level,cost,value"]
    for layer in range(4):
        for head in range(6):
            rate = rng.lognormal(-0.5, 0.8)  # how fast the head's kept attention saturates with its cache
            for blocks in range(1, 9):
                kept = 1 - np.exp(-rate * blocks)
                lines.append(f"L{layer}.H{head},{blocks},{blocks},{kept:.6f}")
    (HERE / "allocate").mkdir(exist_ok=True)
    (HERE / "allocate/kv_heads.csv").write_text("\n".join(lines) + "\n")


def main() -> None:
    if sys.argv[1:2] == ["--only"]:  # rebuild some demos and keep the rest of the manifest as it is
        manifest = json.loads((HERE / "MANIFEST.json").read_text())
        for name in sys.argv[2:]:
            {"matching": matching, "models": models, "checkpoint": checkpoint, "decoder": decoder,
             "allocate": allocate_demo}[name](manifest["suites"])
        (HERE / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n")
        return
    if sys.argv[1:] == ["tardiness"]:  # rebuild only the tardiness part of the bundle
        manifest = json.loads((HERE / "MANIFEST.json").read_text())
        tardiness(manifest["suites"])
        (HERE / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n")
        return
    out = HERE / "knapsack"
    out.mkdir(exist_ok=True)
    suites = {}
    P = SHARED / "pisinger"
    demo = []
    demo += pick(P / "official/smallcoeff_pisinger/knapPI_1_50_1000.csv", [1, 50])
    demo += pick(P / "official/hardinstances_pisinger/knapPI_13_50_1000.csv", [1, 50])
    demo += pick(P / "official/hardinstances_pisinger/knapPI_15_100_1000.csv", [50])
    demo += pick(P / "regenerated/knapPI_3_100_1000.csv", [50])
    demo += pick(P / "regenerated/knapPI_3_1000_1000.csv", [50])
    demo += pick(P / "regenerated/knapPI_5_1000_1000.csv", [50])
    bkp = gen.bounded(40, seed=1, name="bounded_40_s1")
    mc1 = gen.mckp(30, 8, kind="uncorrelated", seed=1, name="mckp_uncorrelated_30x8")
    mc2 = gen.mckp(50, 16, kind="concave", seed=2, capacity_ratio=0.1, name="mckp_rollouts_50x16")
    mc3 = make_instance("mckp", "mckp_ties_6x4", {
        "values": [[0, 6, 9, 10], [0, 5, 8, 9], [0, 4, 6, 7], [0, 7, 12, 14], [0, 3, 5, 6], [0, 2, 3, 3]],
        "weights": [[0, 2, 4, 6], [0, 2, 4, 6], [0, 2, 4, 6], [0, 3, 6, 9], [0, 1, 2, 3], [0, 1, 2, 3]],
        "capacity": 16, "ties": [[0, 1, 2]]})
    mk = read_mknap(SHARED / "orlib_mknap/mknap1.txt")[2:5]
    for inst in (bkp, mc1, mc2, mc3):
        proven(inst, "optalloc: HiGHS MIP and CP-SAT agree, both proven optimal")
    demo += [bkp, mc1, mc2, mc3] + mk
    save(demo, out / "demo.jsonl", overwrite=True)
    suites["knapsack-demo"] = {
        "files": ["knapsack/demo.jsonl"], "reader": "optalloc",
        "problems": sorted({i.problem for i in demo}), "reference_kind": "optimal",
        "provenance": ("Pisinger official CSVs (smallcoeff knapPI_1_50_1000 #1,#50; hard knapPI_13_50_1000 #1,#50, "
                       "knapPI_15_100_1000 #50) and regenerated CSVs (knapPI_3_100_1000 #50, knapPI_3_1000_1000 #50, "
                       "knapPI_5_1000_1000 #50) from ../shared/data/knapsack/pisinger, optima from the files; "
                       "OR-Library mknap1 problems 3-5 with their optima; bounded/MCKP instances from optalloc's "
                       "seeded generators with optima proven by HiGHS and CP-SAT agreeing"),
        "instances": len(demo)}
    sc = pick(P / "regenerated/knapPI_3_1000_1000.csv", list(range(10, 101, 10)))
    save(sc, out / "strongly_correlated_1000.jsonl", overwrite=True)
    suites["pisinger-sc-1000"] = {
        "files": ["knapsack/strongly_correlated_1000.jsonl"], "reader": "optalloc", "problems": ["knapsack"],
        "reference_kind": "optimal",
        "provenance": "../shared/data/knapsack/pisinger/regenerated/knapPI_3_1000_1000.csv (instances 10..100 step 10); "
                      "regenerated with Pisinger's generator, optima from combo (see shared SOURCES.md)",
        "instances": len(sc)}
    hard = []
    for t in (11, 12, 13, 14, 15, 16):
        hard += pick(P / f"official/hardinstances_pisinger/knapPI_{t}_500_1000.csv", [25, 50, 75])
    save(hard, out / "pisinger_hard_500.jsonl", overwrite=True)
    suites["pisinger-hard-500"] = {
        "files": ["knapsack/pisinger_hard_500.jsonl"], "reader": "optalloc", "problems": ["knapsack"],
        "reference_kind": "optimal",
        "provenance": "Pisinger official hardinstances knapPI_{11..16}_500_1000.csv, instances 25, 50, 75",
        "instances": len(hard)}
    # bit allocation: synthetic weights -> column groups (model and measured proxies), tables with ties
    import numpy as np

    from optalloc.families.bitalloc.quantize import build_instance

    rng = np.random.default_rng(0)
    mats = {f"layer.{i}.{nm}.weight": rng.standard_t(4, shp) * rng.lognormal(-3, 0.5)
            for i in range(2) for nm, shp in [("query", (64, 64)), ("value", (64, 64)), ("fc1", (256, 64)),
                                              ("fc2", (64, 256))]}
    bit = [build_instance(mats, b, granularity="column", b_min=1, b_max=8, name=f"synthetic-columns-{int(b)}bit")
           for b in (2.0, 3.0, 4.0)]
    bit += [build_instance(mats, 3.0, granularity="group", group_size=32, b_min=2, b_max=8, overhead_bits=8,
                           name="synthetic-groups32-3bit-overhead")]
    bit += [build_instance(mats, 3.0, granularity="column", b_min=1, b_max=8, proxy="measured",
                           name="synthetic-columns-3bit-measured")]
    for inst in bit:
        a = solve(inst, "bitalloc.mip")
        b = solve(inst, "bitalloc.mckp")
        assert str(a.status) == str(b.status) == "optimal" and abs(a.objective - b.objective) <= 1e-9 * a.objective
        inst.reference = Reference(a.objective, "optimal", "optalloc: HiGHS MIP and the exact MCKP agree")
    (HERE / "bitalloc").mkdir(exist_ok=True)
    save(bit, HERE / "bitalloc/demo.jsonl", overwrite=True)
    suites["bitalloc-demo"] = {
        "files": ["bitalloc/demo.jsonl"], "reader": "optalloc", "problems": ["bitalloc"], "reference_kind": "optimal",
        "provenance": "synthetic Student-t weights (seed 0), 8 matrices; column and group-of-32 units, magnitude "
                      "and measured proxies; optima proven by HiGHS MIP and the exact MCKP agreeing",
        "instances": len(bit)}
    tardiness(suites)
    manifest = {"format": "optalloc-manifest", "version": 1, "suites": suites,
                "shared_suites": {
                    "pisinger-official": {"path": "../shared/data/knapsack/pisinger/official", "reader": "pisinger",
                                          "reference_kind": "optimal"},
                    "pisinger-index": {"path": "../shared/data/knapsack/pisinger/optima_index.csv",
                                       "reader": "pisinger-generator", "reference_kind": "optimal",
                                       "note": "rows with z = FAIL have no known optimum and are skipped"},
                    "mknap1": {"path": "../shared/data/knapsack/orlib_mknap/mknap1.txt", "reader": "mknap",
                               "reference_kind": "optimal"}}}
    (HERE / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(json.dumps({k: v["instances"] for k, v in suites.items()}))


if __name__ == "__main__":
    main()
