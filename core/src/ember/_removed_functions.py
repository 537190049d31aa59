"""Functions torch removed after 1.9 but still defines, so that old code fails with a
message naming the replacement: ``ember.solve``, ``lstsq``, ``eig``, ``symeig``,
``matrix_rank`` (and the Tensor methods ``solve``, ``lstsq``, ``eig``, ``symeig``), and the
``Tensor.volatile`` flag of torch 0.3, now always False.

Example:
    >>> ember.solve(b, A)
    Traceback (most recent call last):
    RuntimeError: ember.solve was removed (deprecated since torch 1.9): ...
"""

from __future__ import annotations

import warnings

from ._tensor import Tensor

_REMOVED = "was removed (deprecated since torch 1.9)"

_SOLVE = (f"ember.solve {_REMOVED}: use ember.linalg.solve, whose arguments come the other "
          "way round and which returns no LU factorization (ember.linalg.lu_factor gives "
          "one).\nReplace  X = ember.solve(B, A).solution\nwith     X = ember.linalg.solve(A, B)")

_LSTSQ = (f"ember.lstsq {_REMOVED}: use ember.linalg.lstsq, whose arguments come the other "
          "way round and which returns no QR decomposition (ember.linalg.qr gives one); the "
          "residuals the old solution kept in its last m - n rows are its 'residuals' field."
          "\nReplace  X = ember.lstsq(B, A).solution[:A.size(1)]\n"
          "with     X = ember.linalg.lstsq(A, B).solution")

_EIG = (f"ember.eig {_REMOVED}: use ember.linalg.eigvals or ember.linalg.eig, which return "
        "complex tensors instead of real pairs standing for complex numbers.\n"
        "Replace  L, _ = ember.eig(A)                    with  L = ember.linalg.eigvals(A)\n"
        "and      L, V = ember.eig(A, eigenvectors=True)  with  L, V = ember.linalg.eig(A)")

_SYMEIG = (f"ember.symeig {_REMOVED}: use ember.linalg.eigvalsh or ember.linalg.eigh, which "
           "read the lower triangle by default where symeig read the upper one.\n"
           "Replace  L, _ = ember.symeig(A, upper=upper)\n"
           "with     L = ember.linalg.eigvalsh(A, UPLO='U' if upper else 'L')\n"
           "and      L, V = ember.symeig(A, eigenvectors=True)\n"
           "with     L, V = ember.linalg.eigh(A, UPLO='U' if upper else 'L')")

_MATRIX_RANK = (f"ember.matrix_rank {_REMOVED}: use ember.linalg.matrix_rank, where the "
                "'symmetric' argument is called 'hermitian'.")


def solve(input: Tensor, A: Tensor, *, out=None):
    """Removed: raises, pointing at ember.linalg.solve."""
    raise RuntimeError(_SOLVE)


def lstsq(input: Tensor, A: Tensor, *, out=None):
    """Removed: raises, pointing at ember.linalg.lstsq."""
    raise RuntimeError(_LSTSQ)


def eig(input: Tensor, eigenvectors: bool = False, *, e=None, v=None):
    """Removed: raises, pointing at ember.linalg.eig and ember.linalg.eigvals."""
    raise RuntimeError(_EIG)


def symeig(input: Tensor, eigenvectors: bool = False, upper: bool = True, *, out=None):
    """Removed: raises, pointing at ember.linalg.eigh and ember.linalg.eigvalsh."""
    raise RuntimeError(_SYMEIG)


def matrix_rank(input: Tensor, tol=None, symmetric: bool = False, *, out=None):
    """Removed: raises, pointing at ember.linalg.matrix_rank."""
    raise RuntimeError(_MATRIX_RANK)


def _volatile(self) -> bool:
    warnings.warn("volatile was removed (Tensor.volatile is always False)", UserWarning,
                  stacklevel=2)
    return False


def _set_volatile(self, value) -> None:
    warnings.warn("volatile was removed and now has no effect. Use `with ember.no_grad():` "
                  "instead.", UserWarning, stacklevel=2)


# the functions serve as the methods too (self is their input)
METHODS = {"solve": solve, "lstsq": lstsq, "eig": eig, "symeig": symeig,
           "volatile": property(_volatile, _set_volatile)}
