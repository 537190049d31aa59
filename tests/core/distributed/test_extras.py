"""The torch.distributed extras on 2 ranks (needs mpi4py): batched and object point to
point, group rank mapping, subgroups, coalesced collectives, FileStore, monitored_barrier."""

import pytest

CHECKS = ["launch_env", "batch_isend_irecv_ring", "batch_isend_irecv_group_peer",
          "object_lists", "group_rank_mapping", "subgroups", "coalesced_and_single",
          "file_store", "monitored_barrier", "monitored_barrier_rank0_absent"]


WORKER = "_extras_worker.py"  # run by conftest's job fixture


def test_job_completes_on_both_ranks(job):
    assert "ALL DONE 0" in job and "ALL DONE 1" in job


@pytest.mark.parametrize("check", CHECKS)
def test_extra(job, check):
    assert f"PASS {check}\n" in job
