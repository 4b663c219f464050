"""Other people's model files: every .mps and .lp file of a folder solved through optalloc as a user would (load,
then solve with the default method), each answer held against its known value, or against HiGHS's own answer
for the file when none is known.

The folder is HiGHS's check/instances (the test files of the reference reader: netlib LPs, MIPLIB 3 classics,
semi-continuous and quadratic models, malformed files); its files are not in this repository, so point the
script at a copy: `python benchmarks/regression_models.py PATH/check/instances`. The known values below are the
ones HiGHS's own tests require (check/CMakeLists.txt, TestQpSolver.cpp, TestMipSolver.cpp,
TestSemiVariables.cpp); for the netlib set those tests match the printed mantissa, and so does this script.

Verdicts: reproduced (optimal within 1e-6 relative of the known value, or the known infeasible / unbounded
status), refused (a typed error, exit 2, whose reason is printed), caught (a backend's wrong claim that
certification stopped: a VerificationError, exit 3), error (the backend failed and said so), agrees (no known value: the same status and
value as HiGHS solving the file directly), stopped (a limit), and the ones that must stay at 0: false (a claim
that contradicts the known value or HiGHS) and internal (an exception that is not a typed error, exit 3)."""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import optalloc  # noqa: E402
from optalloc.errors import OptallocError, VerificationError  # noqa: E402

# file stem: a value (optimal), a mantissa ("m:5.5018458883": the printed digits, as HiGHS's test matches them),
# "infeasible" or "unbounded"
KNOWN = {
    # netlib LPs (check/CMakeLists.txt successInstances)
    "25fv47": "m:5.5018458883", "80bau3b": "m:9.8722419241", "adlittle": "m:2.2549496316", "afiro": "m:-4.6475314286",
    "etamacro": "m:-7.5571523330", "greenbea": "m:-7.2555248130", "shell": "m:1.2088253460",
    "stair": "m:-2.5126695119", "standata": "m:1.2576995000", "standgub": "m:1.2576995000",
    "standmps": "m:1.4060175000",
    # infeasibleInstances, unboundedInstances
    "bgetam": "infeasible", "box1": "infeasible", "ex72a": "infeasible", "forest6": "infeasible",
    "galenet": "infeasible", "gams10am": "infeasible", "refinery": "infeasible", "woodinfe": "infeasible",
    "gas11": "unbounded",
    # mipInstances (MIPLIB 3 classics among them)
    "small_mip": 3.2368421, "flugpl": 1201500, "lseu": 1120, "egout": 568.1007, "gt2": 21166, "rgn": 82.2,
    "bell5": 8966406.49152, "sp150x300d": 69, "p0548": 8691, "dcmulti": 188182,
    # TestMipSolver.cpp
    "2122": -187612.944194, "2171": -22375.7585461,
    # TestQpSolver.cpp
    "qptestnw": -6.45, "qjh": -5.25, "2821": -6.0, "2821-quadobj": -6.0, "2821-qmatrix": -6.0,
    "2821-duplicate": -6.0, "2821-summation": -6.0, "qpinfeasible": "infeasible", "qpunbounded": "unbounded",
    # TestSemiVariables.cpp (HiGHS itself needs mip_feasibility_tolerance 7e-8 for it)
    "3015": -1407973.679417,
}
REL = 1e-6


def _mantissa(x: float) -> float:
    return 0.0 if x == 0 else x / 10 ** math.floor(math.log10(abs(x)))


def _matches(value: float, known) -> bool:
    if isinstance(known, str) and known.startswith("m:"):
        return abs(_mantissa(value) - float(known[2:])) <= 1e-9 * 10
    return abs(value - float(known)) <= REL * max(1.0, abs(float(known)))


def _highs_answer(path: Path):
    """HiGHS's own status and objective for the file, or None when it cannot read it."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", 60.0)
    if h.readModel(str(path)) == highspy.HighsStatus.kError:
        return None
    h.run()
    status = h.modelStatusToString(h.getModelStatus()).lower()
    return status, h.getInfo().objective_function_value


def verdict(path: Path, time_limit: float) -> tuple[str, str]:
    known = KNOWN.get(path.stem)
    try:
        (inst,) = optalloc.load(path)
        r = optalloc.solve(inst, time_limit=time_limit)
    except VerificationError as e:  # a backend's wrong claim, stopped by certification: counted apart
        return "caught", str(e).splitlines()[0][:160]
    except OptallocError as e:
        return "refused", str(e).splitlines()[0][:160]
    except Exception as e:  # noqa: BLE001 - counted, and must stay at 0
        return "internal", f"{type(e).__name__}: {e}"[:160]
    status, obj = str(r.status), r.objective
    said = f"{status} {obj}"
    if status in ("time_limit", "interrupted", "memory_limit", "error"):
        return ("stopped" if status != "error" else "error"), f"{said} ({r.message})"[:160]
    if known is not None:
        if known in ("infeasible", "unbounded"):
            ok = status == known or status == "infeasible_or_unbounded"
            return ("reproduced" if ok else "false"), said
        if status == "optimal" and obj is not None and _matches(obj, known):
            return "reproduced", said
        if status in ("infeasible", "unbounded", "optimal"):
            return "false", f"{said}, known {known}"
        return "stopped", said
    theirs = _highs_answer(path)
    if theirs is None:
        return "false", f"{said}, but HiGHS cannot read the file"
    if status == "optimal" and obj is not None and "optimal" in theirs[0] and _matches(obj, theirs[1]):
        return "agrees", said
    if status != "optimal" and status.replace("_", " ") in theirs[0].replace("_", " "):
        return "agrees", said
    return "false", f"{said}, HiGHS: {theirs[0]} {theirs[1]}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", help="a folder of .mps and .lp files (HiGHS's check/instances)")
    ap.add_argument("--time-limit", type=float, default=60.0)
    args = ap.parse_args()
    files = sorted(p for p in Path(args.folder).iterdir() if p.suffix.lower() in (".mps", ".lp"))
    counts: dict[str, int] = {}
    for p in files:
        v, said = verdict(p, args.time_limit)
        counts[v] = counts.get(v, 0) + 1
        print(f"{v:10s} {p.name:28s} {said}", flush=True)
    print("\n" + ", ".join(f"{k} {counts[k]}" for k in sorted(counts)) + f" (of {len(files)} files)")
    return 1 if counts.get("false") or counts.get("internal") else 0


if __name__ == "__main__":
    sys.exit(main())
