"""Readers round-trip exactly; the Pisinger generator reproduces the official instances."""
import glob

import pytest

from optalloc.errors import FormatError
from optalloc.instances import load, save
from optalloc.families.knapsack.generators import bounded, mckp, mkp, pisinger, pisinger_arrays
from optalloc.instances.readers import read, write

PISINGER_BLOCK = """knapPI_1_4_1000_1
n 4
c 10
z 17
time 0.00
1,8,5,1
2,9,5,1
3,3,4,0
4,2,1,0
-----

"""


def test_pisinger_round_trip_is_byte_exact(tmp_path):
    src = tmp_path / "a.csv"
    src.write_text(PISINGER_BLOCK * 2)
    insts = read("pisinger", src)
    assert [i.reference.value for i in insts] == [17, 17]
    assert insts[0].reference.solution == {"items": [0, 1]}
    save(insts, tmp_path / "a.jsonl")
    write("pisinger", load(tmp_path / "a.jsonl"), tmp_path / "b.csv")
    assert (tmp_path / "b.csv").read_text() == src.read_text()


def test_truncated_pisinger_file_is_reported_with_its_line(tmp_path):
    src = tmp_path / "t.csv"
    src.write_text("\n".join(PISINGER_BLOCK.split("\n")[:7]) + "\n")  # 2 of 4 item lines
    with pytest.raises(FormatError) as e:
        read("pisinger", src)
    assert str(e.value).endswith("t.csv: line 8: truncated block 'knapPI_1_4_1000_1': expected 4 item lines, got 2")
    src.write_text(PISINGER_BLOCK[:60])  # cut inside an item line
    with pytest.raises(FormatError, match=r"line 8: an item line must be 'j,p,w,x', got '3,'"):
        read("pisinger", src)


def test_official_files_round_trip(shared_data, tmp_path):
    files = sorted(glob.glob(str(shared_data / "knapsack/pisinger/official/hardinstances_pisinger/knapPI_1*_20_1000.csv")))
    assert files
    for f in files:
        out = tmp_path / "x.csv"
        write("pisinger", read("pisinger", f), out, overwrite=True)
        assert out.read_text() == open(f).read()


def test_mknap_reads_and_round_trips(shared_data, tmp_path):
    insts = read("mknap", shared_data / "knapsack/orlib_mknap/mknap1.txt")
    assert [i.reference.value for i in insts] == [3800, 8706.1, 4015, 6120, 12400, 10618, 16537]
    write("mknap", insts, tmp_path / "m.txt")
    again = read("mknap", tmp_path / "m.txt")
    assert [i.to_dict()["data"] for i in again] == [i.to_dict()["data"] for i in insts]
    cb = read("mknap", shared_data / "knapsack/orlib_mknap/mknapcb1.txt")
    assert len(cb) == 30 and cb[17].name == "5.100-17" and cb[0].reference is None


def test_generator_reproduces_known_instances():
    # First items of knapPI_11_20_1000_1 (official hard set): spanner classes draw spans, then multiples.
    v, w, c = pisinger_arrays(11, 20, 1000, 1)
    assert (w[:3], v[:3], c) == ([582, 194, 679], [114, 38, 133], 970)
    v, w, c = pisinger_arrays(1, 100, 1000, 1)
    assert c == 995  # large_scale knapPI_1_100_1000_1: n = 100, c = 995


def test_generator_matches_every_official_file(shared_data):
    from optalloc.families.knapsack.readers import read_pisinger

    n = 0
    for f in sorted(glob.glob(str(shared_data / "knapsack/pisinger/official/*/*.csv"))):
        t, size, R = f.rsplit("/", 1)[1][:-4].split("_")[1:]
        for inst in read_pisinger(f)[::7]:
            i = int(inst.name.rsplit("_", 1)[1])
            v, w, c = pisinger_arrays(int(t), int(size), int(R), i)
            assert (v, w, c) == (inst.data.values.tolist(), inst.data.weights.tolist(), inst.data.capacity), inst.name
            n += 1
    assert n > 400


def test_generators_are_seeded():
    assert mckp(5, 4, seed=3).to_json() == mckp(5, 4, seed=3).to_json()
    assert mckp(5, 4, seed=3).to_json() != mckp(5, 4, seed=4).to_json()
    assert mkp(10, 3, seed=1).to_json() == mkp(10, 3, seed=1).to_json()
    assert bounded(10, seed=1).data.n == 10
    assert pisinger(16, 20, 1000, 7).name == "knapPI_16_20_1000_7"
