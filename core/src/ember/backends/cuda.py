"""The CuPy backend (GPU). Not yet implemented beyond availability: every entry point
raises a clear error rather than falling back to the CPU."""

from __future__ import annotations


def _unavailable(*args, **kwargs):
    from ..cuda import require
    require()
    raise NotImplementedError("ember's CUDA kernels are not implemented yet (issue: GPU backend)")


alloc = transfer = matmul = copy = fill = unary = binary = compare = where = _unavailable
reduce = arg_reduce = scan = sort = take = put = random_uniform = random_normal = _unavailable
pred = _unavailable


def generator():
    from .._generator import Generator
    return Generator("cuda")
