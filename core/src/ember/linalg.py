"""ember.linalg: norms, cross, matrix_exp, matrix_power, householder_product, the dense
solvers and factorizations of ops/solve.py (solve, inv, det, slogdet, cholesky,
solve_triangular, lstsq and their _ex forms), and the decompositions of
ops/decompositions.py with what is built on them (qr, svd, svdvals, eigh, eigvalsh,
lu_factor, lu_factor_ex, lu, lu_solve, pinv, matrix_rank, cond), the general eigenproblem
of ops/eigen.py (eig, eigvals) and the small compositions multi_dot, vecdot, vander,
diagonal, tensorinv, tensorsolve."""

from .ops.decompositions import (cond, diagonal, eigh, eigvalsh, lu, lu_factor, lu_factor_ex,
                                 lu_solve, matrix_rank, multi_dot, pinv, qr, svd, svdvals,
                                 tensorinv, tensorsolve, vander, vecdot)
from .ops.eigen import eig, eigvals
from .ops.linalg import linalg_cross as cross
from .ops.linalg import matmul, matrix_norm
from .ops.matrix_funcs import householder_product, matrix_exp, matrix_power
from .ops.reduce import vector_norm
from .ops.solve import (LinAlgError, cholesky, cholesky_ex, det, inv, inv_ex, lstsq, slogdet,
                        solve, solve_ex, solve_triangular)


def norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None):
    """Vector 2-norm by default; matrix norms when ord is given and A is 2-D with dim unset."""
    if ord is not None and (dim is None and A.dim() == 2 or
                            isinstance(dim, (tuple, list)) and len(dim) == 2):
        return matrix_norm(A, ord, dim or (-2, -1), keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


__all__ = ["norm", "vector_norm", "matrix_norm", "cross", "matmul", "matrix_exp", "matrix_power",
           "householder_product", "LinAlgError", "solve", "solve_ex", "inv", "inv_ex", "det",
           "slogdet", "cholesky", "cholesky_ex", "solve_triangular", "lstsq", "qr", "svd",
           "svdvals", "eigh", "eigvalsh", "pinv", "matrix_rank", "cond", "lu_factor",
           "lu_factor_ex", "lu", "lu_solve", "multi_dot", "vecdot", "vander", "diagonal",
           "tensorinv", "tensorsolve", "eig", "eigvals"]
