import pytest

from optalloc import OptionError, SolveOptions


def test_defaults_mean_proven_optimal():
    o = SolveOptions()
    assert o.rel_gap == 0 and o.abs_gap == 0 and o.time_limit is None and o.threads == 1


@pytest.mark.parametrize("name,value,message", [
    ("time_limit", -1, "time_limit: must be a non-negative number of seconds or None, got -1"),
    ("time_limit", float("nan"), "time_limit: must be a non-negative number of seconds or None, got nan"),
    ("threads", 0, "threads: must be a positive integer, got 0"),
    ("rel_gap", -0.1, "rel_gap: must be a non-negative number, got -0.1"),
    ("seed", 1.5, "seed: must be an integer, got 1.5"),
    ("verbose", "yes", "verbose: must be true or false, got 'yes'"),
])
def test_options_are_validated_when_set(name, value, message):
    o = SolveOptions()
    with pytest.raises(OptionError) as e:
        setattr(o, name, value)
    assert str(e.value) == message
    with pytest.raises(OptionError):
        SolveOptions(**{name: value})


def test_unknown_option():
    with pytest.raises(OptionError, match="unknown option 'timelimit'"):
        SolveOptions.from_dict({"timelimit": 3})
    with pytest.raises(OptionError, match="unknown option 'gap'"):
        SolveOptions().gap = 1
