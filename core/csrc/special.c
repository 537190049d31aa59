/* special.c: special functions that need per-element iteration (a series or continued
 * fraction run to convergence), which an expression of elementwise ops cannot express:
 * the regularized incomplete gamma (torch.special.gammainc / gammaincc) and torch.special's
 * Bessel, Airy, zeta and polynomial functions. Their scalar code is one file shared with
 * the CUDA backend, which reads it at run time: ember/backends/em_special_math.h, where
 * each method is described. */
#include "em_internal.h"

#include <math.h>

#define EM_SF static
#define EM_SF_NAN ((double)NAN)
#define EM_SF_INF ((double)INFINITY)
#include "../src/ember/backends/em_special_math.h"

int em_igamma(int dtype, int upper, const void *a, const void *x, void *out, int64_t n) {
    if ((dtype != EM_F32 && dtype != EM_F64) || n < 0) return EM_EDTYPE;
    EM_PARALLEL_FOR(n > 1024,
    for (int64_t i = 0; i < n; ++i) {
        if (dtype == EM_F64)
            ((double *)out)[i] = em_igamma_one(((const double *)a)[i], ((const double *)x)[i],
                                               upper);
        else
            ((float *)out)[i] = (float)em_igamma_one((double)((const float *)a)[i],
                                                     (double)((const float *)x)[i], upper);
    });
    return EM_OK;
}


int em_special_unary(int fn, int dtype, const void *x, void *out, int64_t n) {
    if ((dtype != EM_F32 && dtype != EM_F64) || n < 0) return EM_EDTYPE;
    if (fn < EM_SF_BESSEL_J0 || fn > EM_SF_AIRY_AI) return EM_EINVAL;
    EM_PARALLEL_FOR(n > 256,
    for (int64_t i = 0; i < n; ++i) {
        if (dtype == EM_F64)
            ((double *)out)[i] = em_special_unary_one(fn, ((const double *)x)[i]);
        else
            ((float *)out)[i] = (float)em_special_unary_one(fn, (double)((const float *)x)[i]);
    });
    return EM_OK;
}

int em_special_binary(int fn, int dtype, const void *x, const void *y, void *out, int64_t n) {
    if ((dtype != EM_F32 && dtype != EM_F64) || n < 0) return EM_EDTYPE;
    if (fn < EM_SF_ZETA || fn > EM_SF_LEGENDRE_P) return EM_EINVAL;
    EM_PARALLEL_FOR(n > 256,
    for (int64_t i = 0; i < n; ++i) {
        if (dtype == EM_F64)
            ((double *)out)[i] = em_special_binary_one(fn, ((const double *)x)[i],
                                                       ((const double *)y)[i]);
        else
            ((float *)out)[i] = (float)em_special_binary_one(
                fn, (double)((const float *)x)[i], (double)((const float *)y)[i]);
    });
    return EM_OK;
}
