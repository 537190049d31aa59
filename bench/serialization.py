"""Checkpoint save/load, ember vs torch in one process (ratio = torch_time / ember_time).

Cases: a 100 MB state_dict of 400 tensors, and one 400 MB tensor; save to a file in a temp
folder (the page cache absorbs the writes, but ember.save fsyncs before its atomic rename,
torch.save does not: the "save" rows include that durability cost), load (full read, and
mmap=True for both). Numbers are noisy on a shared machine.
"""

import os
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import ember  # noqa: E402
from _harness import compare, print_table  # noqa: E402


def state_dicts(total_mb: int, count: int):
    rng = np.random.default_rng(0)
    per = total_mb * 2 ** 20 // 4 // count
    arrays = {f"layer{i}.weight": rng.standard_normal(per, dtype=np.float32) for i in range(count)}
    return ({k: ember.from_numpy(v) for k, v in arrays.items()},
            {k: torch.from_numpy(v) for k, v in arrays.items()})


def cases(name, e_obj, t_obj, folder, repeat_number=1):
    ep, tp = os.path.join(folder, f"{name}_e.pt"), os.path.join(folder, f"{name}_t.pt")
    return [
        (f"{name}: save", lambda: ember.save(e_obj, ep), lambda: torch.save(t_obj, tp),
         repeat_number),
        (f"{name}: load", lambda: ember.load(ep), lambda: torch.load(tp, weights_only=True),
         repeat_number),
        (f"{name}: load mmap=True", lambda: ember.load(ep, mmap=True),
         lambda: torch.load(tp, weights_only=True, mmap=True), repeat_number),
    ]


def main():
    with tempfile.TemporaryDirectory() as folder:
        e_sd, t_sd = state_dicts(100, 400)
        rows = compare(cases("state_dict 100MB x400", e_sd, t_sd, folder), repeat=5)
        del e_sd, t_sd
        big = np.random.default_rng(1).standard_normal(100_000_000, dtype=np.float32)
        rows += compare(cases("tensor 400MB", {"w": ember.from_numpy(big)},
                              {"w": torch.from_numpy(big)}, folder), repeat=3)
    print_table("serialization (ratio = torch/ember, higher is better for ember)", rows)


if __name__ == "__main__":
    main()
