import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optalloc import InstanceError, load, make_instance, save
from optalloc.errors import FormatError
from optalloc.files import OutputExistsError
from optalloc.instances.format import loads

BASE = {"problem": "knapsack", "name": "k", "data": {"values": [3, 4, 5, 6], "weights": [1, 2, 3, 4], "capacity": 5}}


def _with(**data):
    doc = json.loads(json.dumps(BASE))
    doc["data"].update(data)
    return doc


@pytest.mark.parametrize("doc,message", [
    (_with(weights=[1, 2, 3, -2]), "data.weights[3]: must be a non-negative integer, got -2"),
    (_with(weights=[1, 2.5, 3, 4]), "data.weights[1]: must be a non-negative integer, got 2.5"),
    (_with(values=[1, 2, 3]), "data.weights: must have 3 entries (one per item), has 4"),
    (_with(values=[], weights=[]), "data.values: must not be empty"),
    (_with(capacity=-1), "data.capacity: must be a non-negative integer, got -1"),
    (_with(values=[1, "a", 3, 4]), "data.values[1]: must be a non-negative finite number, got 'a'"),
    (_with(values=[1, -3, 3, 4]), "data.values[1]: must be a non-negative finite number, got -3"),
    ({"problem": "knapsack", "name": "k", "data": {"values": [1], "weights": [1]}}, "data.capacity: is required"),
    ({"problem": "knapsak", "name": "k", "data": {}},
     "problem: must be one of adwords, assignment, bitalloc, bmatching, bounded_knapsack, gap, knapsack, linear_model, "
     "makespan, mckp, mkp, routing, tardiness, got 'knapsak'"),
    ({"problem": "knapsack", "data": BASE["data"]}, "name: is required and must be a non-empty string"),
    ({**BASE, "reference": {"value": 3, "kind": "exact"}},
     "reference.kind: must be one of optimal, best_known, bound, got 'exact'"),
    ({**BASE, "colour": 1}, "colour: is not an instance field (fields: data, format, meta, name, problem, reference, version)"),
    (_with(volume=3), "data.volume: is not a field of this problem (fields: capacity, values, weights)"),
])
def test_bad_fields_name_path_and_rule(doc, message, write_json):
    with pytest.raises(InstanceError) as e:
        load(write_json(doc))
    assert str(e.value).endswith(message)
    assert str(e.value).startswith(str(write_json(doc)))


def test_nan_is_rejected(write_json):
    text = json.dumps(BASE).replace("[3, 4, 5, 6]", "[3, NaN, 5, 6]")
    with pytest.raises(FormatError, match="NaN is not a valid JSON number"):
        load(write_json(text))


def test_malformed_json(write_json):
    with pytest.raises(FormatError) as e:
        load(write_json('{"problem": "knapsack", "name": '))
    assert "malformed JSON at line 1" in str(e.value)


def test_jsonl_errors_name_the_line(write_json):
    line = json.dumps(BASE)
    with pytest.raises(InstanceError) as e:
        load(write_json(line + "\n" + json.dumps(_with(capacity=-5)) + "\n", "suite.jsonl"))
    assert "[1].data.capacity: must be a non-negative integer, got -5" in str(e.value)


def test_mckp_rules(write_json):
    doc = {"problem": "mckp", "name": "m", "data": {"values": [[1, 2], [3, 4, 5]], "weights": [[1, 2], [1, 2, 3]],
                                                   "capacity": 4, "ties": [[0, 1]]}}
    with pytest.raises(InstanceError, match=r"data.ties\[0\]\[1\]: class 1 must have as many options as class 0"):
        load(write_json(doc))
    doc["data"]["ties"] = [[0, 7]]
    with pytest.raises(InstanceError, match=r"data.ties\[0\]\[1\]: must be a class index below 2, got 7"):
        load(write_json(doc))


def test_save_is_atomic_and_never_overwrites(tmp_path):
    inst = make_instance(**{k: BASE[k] for k in ("problem", "name", "data")})
    p = save([inst], tmp_path / "a.jsonl")
    with pytest.raises(OutputExistsError, match="already exists; pass --force"):
        save([inst], p)
    save([inst, inst], p, overwrite=True)
    assert len(load(p)) == 2
    assert not [f for f in tmp_path.iterdir() if f.name.endswith(".part")]


values = st.lists(st.integers(0, 10**12) | st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(values, st.integers(0, 10**9), st.data())
def test_instances_round_trip_through_json(vals, cap, data):
    weights = data.draw(st.lists(st.integers(0, 10**9), min_size=len(vals), max_size=len(vals)))
    inst = make_instance("knapsack", "rt", {"values": vals, "weights": weights, "capacity": cap},
                         {"value": 1, "kind": "bound", "source": "x"})
    (back,) = loads(inst.to_json())
    assert back.to_dict() == inst.to_dict()
    assert np.array_equal(back.data.values, inst.data.values) and back.data.capacity == cap


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 100), st.integers(0, 50)), min_size=1, max_size=5),
                min_size=1, max_size=6), st.integers(0, 300))
def test_mckp_round_trip(classes, cap):
    inst = make_instance("mckp", "m", {"values": [[v for v, _ in c] for c in classes],
                                       "weights": [[w for _, w in c] for c in classes], "capacity": cap})
    (back,) = loads(inst.to_json())
    assert back.to_dict() == inst.to_dict()
