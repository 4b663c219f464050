"""The toy family's known-answer cases."""
from optalloc.conformance import Case
from optalloc.instances.format import make_instance


def cases():
    return [Case(make_instance("pick", "pick-small", {"values": [4, 9, 1, 7], "k": 2}), 16),
            Case(make_instance("pick", "pick-none", {"values": [4, 9], "k": 0}), 0)]
