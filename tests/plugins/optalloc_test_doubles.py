"""Deliberately broken methods for the runner's tests, loaded only through OPTALLOC_PLUGINS.

testdouble.wrong_objective  returns the EDD schedule but reports its objective plus one (verification fails)
testdouble.hang             ignores its time limit and sleeps (the runner must kill it)"""
import time

import numpy as np

from optalloc.registry import Method, register
from optalloc.result import Outcome
from optalloc.status import Status


def _wrong(instance, options, deadline):
    d = instance.data
    seq = np.lexsort((d.p, d.d))
    return Outcome(Status.COMPLETED, {"sequence": seq.tolist()}, float(d.cost(seq)) + 1.0, None, "completed")


def _hang(instance, options, deadline):
    time.sleep(3600)


register(Method("testdouble.wrong_objective", ("tardiness",), "heuristic", "optalloc", _wrong,
                "test double: reports a wrong objective"))
register(Method("testdouble.hang", ("tardiness",), "heuristic", "optalloc", _hang, "test double: never returns"))
