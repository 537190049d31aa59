"""ember.distributed: process groups and collectives over MPI (``torch.distributed``'s API).

Launch ``N`` processes with ``python -m ember.distributed.run --nproc-per-node N script.py``
(a thin layer over MPICH's ``mpiexec``; needs ``pip install 'ember[distributed]'``). A world
of one process needs neither MPI nor a launcher.

Example:
    >>> import ember, ember.distributed as dist
    >>> dist.init_process_group("mpi")
    >>> t = ember.tensor([float(dist.get_rank())])
    >>> dist.all_reduce(t)           # the sum of all ranks, on every rank
"""

from .distributed_c10d import (GroupMember, ProcessGroup, ReduceOp, Work, all_gather,
                               all_gather_into_tensor, all_gather_object, all_reduce,
                               all_to_all, all_to_all_single, barrier, broadcast,
                               broadcast_object_list, destroy_process_group, gather,
                               gather_object, get_backend, get_global_rank,
                               get_process_group_ranks, get_rank, get_world_size, group,
                               init_process_group, irecv, is_available, is_gloo_available,
                               is_initialized, is_mpi_available, is_nccl_available, isend,
                               new_group, recv, reduce, reduce_scatter, reduce_scatter_tensor,
                               scatter, scatter_object_list, send)

__all__ = ["GroupMember", "ProcessGroup", "ReduceOp", "Work", "all_gather",
           "all_gather_into_tensor", "all_gather_object", "all_reduce", "all_to_all",
           "all_to_all_single", "barrier", "broadcast", "broadcast_object_list",
           "destroy_process_group", "gather", "gather_object", "get_backend", "get_global_rank",
           "get_process_group_ranks", "get_rank", "get_world_size", "group",
           "init_process_group", "irecv", "is_available", "is_gloo_available", "is_initialized",
           "is_mpi_available", "is_nccl_available", "isend", "new_group", "recv", "reduce",
           "reduce_scatter", "reduce_scatter_tensor", "scatter", "scatter_object_list", "send"]
