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

from ._backend import Backend, get_default_backend_for_device, is_backend_available
from ._coalesced import (all_gather_coalesced, all_gather_single, all_reduce_coalesced,
                         reduce_scatter_single)
from ._debug import DebugLevel, get_debug_level, set_debug_level, set_debug_level_from_env
from ._exceptions import (DistBackendError, DistError, DistNetworkError, DistStoreError,
                          QueueEmptyError)
from ._file_store import FileStore
from ._grad_bucket import GradBucket
from ._launch_env import get_node_local_rank, is_torchelastic_launched
from ._monitored_barrier import monitored_barrier
from ._p2p_batch import P2POp, batch_isend_irecv, recv_object_list, send_object_list
from ._reduce_op_alias import reduce_op
from ._store import HashStore, PrefixStore, Store
from ._tcp_store import TCPStore
from ._subgroups import new_subgroups, new_subgroups_by_enumeration
from .constants import default_pg_timeout
from .distributed_c10d import (GroupMember, ProcessGroup, ReduceOp, Work, all_gather,
                               all_gather_into_tensor, all_gather_object, all_reduce,
                               all_to_all, all_to_all_single, barrier, broadcast,
                               broadcast_object_list, destroy_process_group, gather,
                               gather_object, get_backend, get_global_rank, get_group_rank,
                               get_pg_count, get_process_group_ranks, get_rank, get_world_size,
                               group, init_process_group, irecv, is_available,
                               is_gloo_available, is_initialized, is_mpi_available,
                               is_nccl_available, isend, new_group, recv, reduce,
                               reduce_scatter, reduce_scatter_tensor, scatter,
                               scatter_object_list, send)

__all__ = ["Backend", "DebugLevel", "DistBackendError", "DistError", "DistNetworkError",
           "DistStoreError", "FileStore", "GradBucket", "GroupMember", "HashStore", "P2POp",
           "PrefixStore", "ProcessGroup", "QueueEmptyError", "ReduceOp", "Store", "TCPStore",
           "Work", "all_gather", "all_gather_coalesced", "all_gather_into_tensor",
           "all_gather_object",
           "all_gather_single", "all_reduce", "all_reduce_coalesced", "all_to_all",
           "all_to_all_single", "barrier", "batch_isend_irecv", "broadcast",
           "broadcast_object_list", "default_pg_timeout", "destroy_process_group", "gather",
           "gather_object", "get_backend", "get_debug_level", "get_default_backend_for_device",
           "get_global_rank", "get_group_rank", "get_node_local_rank", "get_pg_count",
           "get_process_group_ranks", "get_rank", "get_world_size", "group",
           "init_process_group", "irecv", "is_available", "is_backend_available",
           "is_gloo_available", "is_initialized", "is_mpi_available", "is_nccl_available",
           "is_torchelastic_launched", "isend", "monitored_barrier", "new_group",
           "new_subgroups", "new_subgroups_by_enumeration", "recv", "recv_object_list",
           "reduce", "reduce_op", "reduce_scatter", "reduce_scatter_single",
           "reduce_scatter_tensor", "scatter", "scatter_object_list", "send",
           "send_object_list", "set_debug_level", "set_debug_level_from_env"]
