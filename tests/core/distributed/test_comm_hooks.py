"""DDP communication hooks on 2 ranks (needs mpi4py): the built-in hooks against DDP's own
reduction and the per-rank gradients, custom hooks' effects, and registration errors."""

import pytest

CHECKS = ["allreduce_hook_matches_no_hook", "fp16_compress_close", "bf16_compress_close",
          "fp16_wrapper_compress_close", "bf16_wrapper_compress_close", "custom_sum_hook",
          "noop_hook_keeps_local", "threaded_future_and_set_buffer", "registration_errors"]


WORKER = "_comm_hooks_worker.py"  # run by conftest's job fixture


def test_job_completes_on_both_ranks(job):
    assert "ALL DONE 0" in job and "ALL DONE 1" in job


@pytest.mark.parametrize("check", CHECKS)
def test_comm_hook(job, check):
    assert f"PASS {check}\n" in job
