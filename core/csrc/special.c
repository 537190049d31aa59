/* special.c: special functions that need per-element iteration (a series or continued
 * fraction run to convergence), which an expression of elementwise ops cannot express.
 *
 * em_igamma: the regularized incomplete gamma functions P(a, x) = gamma(a, x) / Gamma(a)
 * and Q(a, x) = 1 - P(a, x) (torch.special.gammainc / gammaincc).
 *  - Below x = a + 1, P's power series P = x^a e^-x / Gamma(a + 1) sum_n x^n / ((a+1)..(a+n));
 *    above, Legendre's continued fraction for Q, by the modified Lentz method. Each returns
 *    its complement as 1 - itself only where that is the larger one, so the small tail
 *    keeps its relative precision.
 *  - The prefactor x^a e^-x / Gamma(a) is computed from 10 up as
 *    exp(a (log1p(t) - t) + log(a / 2 pi) / 2 - stirling(a)), t = (x - a) / a, so near the
 *    transition (x ~ a, where the exponent's terms are ~a log a and cancel) it keeps its
 *    relative precision instead of losing log10(a) digits.
 * The CUDA twin of this function is em_igamma_d in backends/cuda/kernels.py. */
#include "em_internal.h"

#include <math.h>

#define EM_IGAMMA_MAX_TERMS 100000  /* never reached for finite a below ~1e9 */

/* log(1 + t) - t, exactly enough for |t| small where the two terms cancel */
static double em_log1pmx(double t) {
    if (fabs(t) > 0.25) return log1p(t) - t;
    double term = t, sum = 0;  /* (-1)^(k+1) t^k / k from k = 2 */
    for (int k = 2; k < 60; ++k) {
        term *= -t;
        const double add = term / k;
        sum += add;
        if (fabs(add) < 1e-17 * fabs(sum)) break;
    }
    return sum;
}

/* lgamma(a) - ((a - 1/2) log a - a + log(2 pi) / 2), for a >= 10 */
static double em_stirling_tail(double a) {
    const double f = 1 / (a * a);
    return (1.0 / 12 + f * (-1.0 / 360 + f * (1.0 / 1260 + f * (-1.0 / 1680 +
            f * (1.0 / 1188 + f * (-691.0 / 360360)))))) / a;
}

/* log(x^a e^-x / Gamma(a)) */
static double em_igamma_log_prefactor(double a, double x) {
    if (a < 10) return a * log(x) - x - lgamma(a);
    return a * em_log1pmx((x - a) / a) + 0.5 * log(a / 6.283185307179586) - em_stirling_tail(a);
}

static double em_igamma_one(double a, double x, int upper) {
    if (isnan(a) || isnan(x) || a < 0 || x < 0) return NAN;
    if (a == 0) return x > 0 ? (double)!upper : NAN;
    if (x == 0) return (double)upper;
    if (isinf(a)) return isinf(x) ? NAN : (double)upper;
    if (isinf(x)) return (double)!upper;
    const double log_pre = em_igamma_log_prefactor(a, x);
    if (x < a + 1) {  /* P by its series */
        double term = 1, sum = 1;
        for (int n = 1; n < EM_IGAMMA_MAX_TERMS; ++n) {
            term *= x / (a + n);
            sum += term;
            if (term < 1e-17 * sum) break;
        }
        const double p = exp(log_pre) * sum / a;
        return upper ? 1 - p : p;
    }
    /* Q = prefactor / (x + 1 - a - 1 (1 - a) / (x + 3 - a - 2 (2 - a) / (x + 5 - a - ...))) */
    const double tiny = 1e-300;
    double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
    for (int i = 1; i < EM_IGAMMA_MAX_TERMS; ++i) {
        const double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        if (fabs(d) < tiny) d = tiny;
        c = b + an / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        const double step = d * c;
        h *= step;
        if (fabs(step - 1) < 1e-16) break;
    }
    const double q = exp(log_pre) * h;
    return upper ? q : 1 - q;
}

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

/* ---- torch.special's Bessel, Airy, zeta and polynomial functions --------------------
 * The scalar functions live in one file shared with the CUDA backend (which reads it at
 * run time): ember/backends/em_special_math.h, where their methods are described. */
#define EM_SF static
#define EM_SF_NAN ((double)NAN)
#define EM_SF_INF ((double)INFINITY)
#include "../src/ember/backends/em_special_math.h"

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
