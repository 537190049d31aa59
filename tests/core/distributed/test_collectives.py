"""Every collective on 2 ranks, over integer, float, bf16 and bool dtypes (needs mpi4py)."""

import pytest

DTYPES = ["float32", "float64", "int64", "int32", "int16", "int8", "uint8", "float16",
          "bfloat16", "bool"]
CHECKS = [f"{c}_{d}" for d in DTYPES for c in
          ["all_reduce_SUM", "all_reduce_PRODUCT", "all_reduce_MIN", "all_reduce_MAX",
           "all_reduce_async", "broadcast", "reduce", "all_gather", "all_gather_into_tensor",
           "gather", "scatter", "all_to_all", "send_recv"]]
CHECKS += [f"all_reduce_AVG_{d}" for d in ("float32", "float64", "float16", "bfloat16")]
CHECKS += [f"reduce_scatter_{d}" for d in DTYPES if d != "bool"]
CHECKS += ["all_to_all_single", "objects", "new_group", "non_contiguous_error", "barrier"]


WORKER = "_collectives_worker.py"  # run by conftest's job fixture


def test_job_completes_on_both_ranks(job):
    assert "ALL DONE 0" in job and "ALL DONE 1" in job


@pytest.mark.parametrize("check", CHECKS)
def test_collective(job, check):
    assert f"PASS {check}\n" in job
