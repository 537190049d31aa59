"""What ember was built with, under torch's names (``torch.has_openmp`` and kin).

Example:
    >>> ember.has_openmp, ember.has_mkl
    (True, False)
"""

from __future__ import annotations

# the C kernels are compiled with -fopenmp (_C_build.py): ember.set_num_threads sets
# their OpenMP thread count
has_openmp = True
# torch's flag says whether the linear algebra ops can run; ember's own C kernels (and
# cuSOLVER on the GPU) implement them, with no LAPACK library needed
has_lapack = True
has_mkl = False  # no Intel MKL: GEMMs are ember's or NumPy's OpenBLAS
has_spectral = True  # ember.fft runs on ember's own FFT kernels


def compiled_with_cxx11_abi() -> bool:
    """False: ember's compiled library is C, so no C++ standard library ABI (the
    _GLIBCXX_USE_CXX11_ABI choice torch reports) is part of its interface.

    Example:
        >>> ember.compiled_with_cxx11_abi()
        False
    """
    return False
