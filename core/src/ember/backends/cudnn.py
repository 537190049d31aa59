"""``torch.backends.cudnn``'s flags.

CuPy 14 dropped its cuDNN bindings, so ember's GPU convolutions are im2col (our kernel)
plus cuBLAS GEMMs; ``allow_tf32`` governs those GEMMs as it governs cuDNN's in torch,
and is on by default as there (``ember.backends.cuda.matmul.allow_tf32`` stays off).

Example:
    >>> ember.backends.cudnn.allow_tf32 = False   # full float32 convolutions
"""

allow_tf32 = True
benchmark = False
deterministic = False
enabled = True


def is_available() -> bool:
    """False: ember does not call cuDNN (see the module docstring)."""
    return False


def version() -> None:
    return None
