"""ember.distributed.algorithms: training algorithms built on the collectives; for now the
DDP communication hooks (``ddp_comm_hooks``), as in ``torch.distributed.algorithms``."""
