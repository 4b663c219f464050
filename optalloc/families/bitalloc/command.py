"""`optalloc quantize`, the bit-allocation family's command (declared in its FAMILY: Family.commands): bits for
the weights of a checkpoint, measured against uniform bits at the same budget, and the config a quantization tool
loads."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from optalloc.errors import OptionError
from optalloc.families.bitalloc.targets import SERVE_MODES, TARGETS
from optalloc.terminal import (EXIT_NO_SOLUTION, EXIT_OK, POSITIVE, SECONDS, bounded, method_name, number_text,
                               percent_text, regex, render)


def add_arguments(p) -> None:
    """The command's flags, on its argparse parser `p`."""
    p.add_argument("weights", help="a checkpoint: a .safetensors file, a sharded one's model.safetensors.index.json, "
                                   "or a model directory holding either (F32, F16, BF16, FP8)")
    p.add_argument("--budget", type=float, required=True, help="average bits per weight")
    p.add_argument("--granularity", default="group", choices=["column", "group", "matrix", "module"],
                   help="the unit that gets one bit-width (module: a whole matrix, quantized in groups)")
    p.add_argument("--target", choices=list(TARGETS),
                   help="allocate integer bits per module from the bit-widths this tool takes (gptqmodel and "
                        "autoround 2, 3, 4, 8; llm-compressor 4, 8), q/k/v and gate/up tied as vLLM fuses them, "
                        "and write --config in its schema")
    p.add_argument("--serve", choices=SERVE_MODES, default="vllm",
                   help="with --target: how the config will be served, which limits the bit-widths to those the "
                        "server's kernel takes. vllm (default): every layer loads in vLLM; vllm-marlin: 4 and 8 "
                        "bits only, every layer on the fast Marlin kernel; none: the tool's own bit-widths")
    p.add_argument("--group-size", type=POSITIVE, default=128, help="weights per group (default 128)")
    p.add_argument("--b-min", type=bounded(int, 0, 16, what="a bit-width from 0 to 16"), default=2, help="fewest bits (default 2)")
    p.add_argument("--b-max", type=bounded(int, 1, 16, what="a bit-width from 1 to 16"), default=8, help="most bits (default 8)")
    p.add_argument("--overhead-bits", type=float, default=0.0, help="bits per group for scale and zero point")
    p.add_argument("--include", type=regex, metavar="REGEX",
                   help="modules to quantize, a regex searched in the module name as the checkpoint spells it "
                        "(default: every linear .weight but embeddings and lm_head)")
    p.add_argument("--exclude", type=regex, metavar="REGEX", help="modules to leave in full precision (a regex)")
    p.add_argument("--proxy", choices=["magnitude", "measured", "activation"],
                   help="magnitude: the c 2^-2b model; measured: every unit's real error at every bit-width; "
                        "activation: that error weighted by each column's input energy from a calibration pass "
                        "(a BERT-family encoder or a Llama-family decoder directory, run in numpy). Default: "
                        "measured with --target (a handful of bit-widths per module: the allocation never measures "
                        "worse than uniform bits), magnitude otherwise")
    p.add_argument("--calibration", metavar="TEXT", help="with --proxy activation: calibration sentences, one per "
                                                        "line (default: the bundled text)")
    p.add_argument("--method", "-m", type=method_name,
                   help="default: bitalloc.greedy (magnitude) or bitalloc.mckp (measured)")
    p.add_argument("--compare", default="bitalloc.uniform,bitalloc.round_clip",
                   help="other methods to measure at the same budget")
    p.add_argument("--config", metavar="FILE", help="write the per-module bits of --method as JSON")
    p.add_argument("--instance", metavar="FILE", help="also save the allocation instance (JSONL)")
    p.add_argument("--time-limit", type=SECONDS, help="seconds for the allocation (default: none)")
    p.add_argument("--json", action="store_true", help="the comparison as one JSON object")
    p.add_argument("--force", action="store_true", help="overwrite --config and --instance if they exist")


def run(args) -> int:
    """optalloc quantize: bits for the weights of a safetensors file, measured against uniform bits; `args` as
    parsed."""
    # imported here, not above: building the parser of every optalloc command imports this module
    from optalloc.families.bitalloc import encoder
    from optalloc.families.bitalloc.calibrate import activation_energy
    from optalloc.families.bitalloc.checkpoint import DEFAULT_SKIP, open_checkpoint
    from optalloc.families.bitalloc.quantize import build_instance, export_config, measure
    from optalloc.families.bitalloc.targets import (config_text, fused_ties, serving_bits, target, vllm_base_bits,
                                                    whole_groups)
    from optalloc.files import atomic_write_text, check_output_target
    from optalloc.instances import save
    from optalloc.registry import get_method
    from optalloc.solve import solve

    # bad flags, outputs and calibration text fail before the checkpoint is read
    tool = target(args.target, args.group_size) if args.target else None
    # the c 2^-2b model misjudges 2 and 3 bits, and with a tool's few bit-widths per module it can lose to uniform
    # bits; measuring every module at each of them is cheap
    args.proxy = args.proxy or ("measured" if tool else "magnitude")
    bit_set = None
    if tool:
        bit_set, rule = serving_bits(tool, args.serve)
        if not min(bit_set) <= args.budget <= max(bit_set):
            raise OptionError(f"--budget {args.budget:g}: {tool.name} served by --serve {args.serve} takes "
                              f"{', '.join(map(str, bit_set))} bits, so the average lies in [{min(bit_set)}, "
                              f"{max(bit_set)}]")
        print(f"optalloc: --serve {args.serve}: {rule}", file=sys.stderr)
    if args.config:
        check_output_target(args.config, overwrite=args.force)
    texts = None
    if args.proxy == "activation":
        if not Path(args.weights).is_dir():
            raise OptionError("--proxy activation: needs a model directory (config.json, the weights, and "
                              "vocab.txt or tokenizer.json) for the calibration pass")
        texts = encoder.sentences(args.calibration or encoder.CALIBRATION)
    ckpt = open_checkpoint(args.weights)
    mats = ckpt.linear_weights(args.include, args.exclude)
    # the modules of the checkpoint left in full precision, beyond those the tools skip by themselves
    skipped = [x for x in ckpt.linear_modules() if x not in mats and not DEFAULT_SKIP.search(x)]
    if tool:
        kept, left_out = whole_groups(list(mats), skipped)
        moved = [m for m in mats if m not in kept]
        if moved:  # vLLM refuses a fused layer whose parts are quantized differently: the group goes out whole
            print(f"optalloc: --exclude splits a fused layer; left out with it: {', '.join(moved)}", file=sys.stderr)
            mats = {m: mats[m] for m in kept}
            skipped = left_out
    energy, energy_scale = (None, "module") if texts is None else activation_energy(args.weights, texts)
    inst = build_instance(mats, args.budget, granularity="module" if tool else args.granularity,
                          group_size=args.group_size, b_min=args.b_min, b_max=args.b_max,
                          overhead_bits=args.overhead_bits, proxy=args.proxy,
                          name=Path(args.weights).name.split(".")[0] or "weights", source=str(args.weights),
                          bit_set=bit_set, ties=fused_ties(mats) if tool else None,
                          energy=energy, energy_scale=energy_scale)
    args.method = args.method or ("bitalloc.greedy" if args.proxy == "magnitude" and not tool else "bitalloc.mckp")
    compare = [m for m in args.compare.split(",") if m]
    if args.proxy != "magnitude" or tool:  # BAQ's closed form needs sensitivities; option tables have none
        compare = [m for m in compare if m != "bitalloc.round_clip"]
    names = [args.method] + [m for m in compare if m != args.method]
    methods = [get_method(m) for m in names]  # unknown names fail before any work
    if args.instance:
        save([inst], args.instance, overwrite=args.force)
    rows = []
    for m in methods:
        r = solve(inst, m, time_limit=args.time_limit)
        row = {"method": m.name, "status": str(r.status), "solution_status": str(r.solution_status),
               "average_bits": r.extra.get("average_bits"), "predicted": r.objective,
               "gap_to_continuous": r.extra.get("gap_to_continuous"), "time": r.time}
        if r.solution is not None:
            bits = inst.data.bits_of(r.solution)
            got = measure(mats, inst, bits)
            row.update(measured=got["measured"], relative_error=got["relative"])
            if m.name == args.method and args.config:
                if tool:
                    per_module = {mod["name"]: int(bits[mod["first_group"]]) for mod in inst.meta["modules"]}
                    text = config_text(tool.name, per_module, args.group_size, skipped, args.serve)
                    if tool.name == "gptqmodel" and args.serve != "none":
                        print(f"optalloc: vLLM's kernel rule: {vllm_base_bits(per_module)[1]}", file=sys.stderr)
                else:
                    text = json.dumps(export_config(inst, bits), indent=1) + "\n"
                atomic_write_text(args.config, text, overwrite=args.force)
        rows.append(row)
    d = inst.data
    if args.json:
        for row in rows:
            print(json.dumps(row, default=float))
    else:
        print(f"{args.weights}: {len(mats)} matrices, {d.k} groups ({inst.meta['granularity']}), "
              f"{int(d.sizes.sum())} weights, budget {args.budget} bits")
        head = ["method", "status", "avg bits", "predicted", "measured", "rel. error", "gap to cont.", "time s"]
        table = [[r["method"], r["solution_status"], number_text(r.get("average_bits"), 4), number_text(r.get("predicted")),
                  number_text(r.get("measured")), number_text(r.get("relative_error")), percent_text(r.get("gap_to_continuous")),
                  f"{r['time']:.3f}"] for r in rows]
        print(render(head, table))
        base = next((r for r in rows if r["method"] == "bitalloc.uniform" and "measured" in r), None)
        main_row = rows[0]
        if base and "measured" in main_row and main_row["measured"] > 0:
            print(f"uniform / {args.method}: measured error ratio {base['measured'] / main_row['measured']:.3f}")
    return EXIT_OK if "measured" in rows[0] else EXIT_NO_SOLUTION
