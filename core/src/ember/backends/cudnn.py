"""``torch.backends.cudnn``'s flags.

ember's GPU convolutions run on cuDNN where its library is installed (the
``nvidia-cudnn-cu13`` wheel: CuPy 14 dropped its own cuDNN bindings, so ember loads it
itself, see ``backends/cuda/cudnn_library.py`` and ``cudnn_conv.py``), else on im2col
(our kernel) plus cuBLAS GEMMs. ``allow_tf32`` governs both as it governs cuDNN in
torch, on by default as there (``ember.backends.cuda.matmul.allow_tf32`` stays off);
``enabled = False`` keeps the im2col path; ``deterministic`` picks only cuDNN's
deterministic algorithms; ``benchmark`` times every allowed engine on a geometry's first
call and keeps the fastest, instead of the heuristics' first choice.

Example:
    >>> ember.backends.cudnn.allow_tf32 = False   # full float32 convolutions
"""

allow_tf32 = True
benchmark = False
deterministic = False
enabled = True


def is_available() -> bool:
    """Whether cuDNN's library loads (it still needs a GPU to run)."""
    return version() is not None


def version() -> int | None:
    """cuDNN's version as torch gives it (9.28.1 -> 92801), None without the library."""
    from .cuda.cudnn_library import version as _version
    return _version()
