/* Scalar helpers of the elementwise template: type-generic where the float
 * and double instantiations share them. */
#ifndef EM_SCALAR_H
#define EM_SCALAR_H
#include "em_internal.h"
#include "em_vecmath.h"

/* ---- scalar helpers shared by the float instantiations (type-generic) ---- */
#define em_clamp(v, lo, hi)                                   \
    ({                                                        \
        __typeof__((v) + 0) t_ = (v) < (lo) ? (lo) : (v);           \
        t_ > (hi) ? (hi) : t_;                                \
    })
#define em_softplus(v, beta, thr)                                                   \
    ({                                                                              \
        __typeof__((v) + 0) bv_ = (v) * (beta);                                           \
        bv_ > (thr) ? (v) : log1p(exp(bv_)) / (beta);                               \
    })
#define em_logit(v, eps)                                                            \
    ({                                                                              \
        __typeof__((v) + 0) z_ = (eps) < 0 ? (v) : em_clamp((v), (eps), 1 - (eps));       \
        log(z_ / (1 - z_));                                                         \
    })
#define EM_SQRT_2_OVER_PI 0.79788456080286535588
#define em_gelu_tanh(v)                                                             \
    ({                                                                              \
        __typeof__((v) + 0) k_ = (__typeof__((v) + 0))EM_SQRT_2_OVER_PI;                        \
        (__typeof__((v) + 0))0.5 * (v) *                                                  \
            (1 + tanh(k_ * ((v) + (__typeof__((v) + 0))0.044715 * (v) * (v) * (v))));    \
    })
#define em_gelu_tanh_grad(v)                                                        \
    ({                                                                              \
        __typeof__((v) + 0) k_ = (__typeof__((v) + 0))EM_SQRT_2_OVER_PI;                        \
        __typeof__((v) + 0) c_ = (__typeof__((v) + 0))0.044715;                                 \
        __typeof__((v) + 0) t_ = tanh(k_ * ((v) + c_ * (v) * (v) * (v)));                 \
        (__typeof__((v) + 0))0.5 * (1 + t_) +                                             \
            (__typeof__((v) + 0))0.5 * (v) * (1 - t_ * t_) * k_ * (1 + 3 * c_ * (v) * (v)); \
    })
/* Python's modulo: the result takes the sign of the divisor. */
#define em_remainder(a, b)                                                          \
    ({                                                                              \
        __typeof__((a) + 0) m_ = fmod((a), (b));                                          \
        (m_ != 0 && ((b) < 0) != (m_ < 0)) ? m_ + (b) : m_;                         \
    })
/* Floor division computed from fmod, as exact as the operands allow. */
#define em_floor_divide(a, b)                                                       \
    ({                                                                              \
        __typeof__((a) + 0) r_;                                                           \
        if ((b) == 0) {                                                             \
            r_ = (a) / (b);                                                         \
        } else {                                                                    \
            __typeof__((a) + 0) m_ = fmod((a), (b));                                      \
            __typeof__((a) + 0) d_ = ((a) - m_) / (b);                                    \
            if (m_ != 0 && ((b) < 0) != (m_ < 0)) d_ -= 1;                          \
            if (d_ != 0) {                                                          \
                __typeof__((a) + 0) f_ = floor(d_);                                       \
                if (d_ - f_ > (__typeof__((a) + 0))0.5) f_ += 1;                          \
                r_ = f_;                                                            \
            } else {                                                                \
                r_ = copysign((__typeof__((a) + 0))0, (a) / (b));                         \
            }                                                                       \
        }                                                                           \
        r_;                                                                         \
    })

static inline int64_t em_ipow(int64_t base, int64_t e) {
    if (e < 0) return base == 1 ? 1 : base == -1 ? ((e & 1) ? -1 : 1) : 0;
    int64_t r = 1;
    while (e) {
        if (e & 1) r *= base;
        base *= base;
        e >>= 1;
    }
    return r;
}
static inline int64_t em_ifloordiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
    return q;
}
static inline int64_t em_iremainder(int64_t a, int64_t b) {
    int64_t m = a % b;
    if (m != 0 && ((b < 0) != (m < 0))) m += b;
    return m;
}
static inline int64_t em_clamp_i(int64_t v, int64_t lo, int64_t hi) {
    int64_t t = v < lo ? lo : v;
    return t > hi ? hi : t;
}

/* Inverse error function: Giles' single-precision approximation refined by two
 * Newton steps in double, accurate to a few ulp of double. */
static inline double em_erfinv_d(double y) {
    if (y <= -1) return y == -1 ? -INFINITY : NAN;
    if (y >= 1) return y == 1 ? INFINITY : NAN;
    double w = -log((1.0 - y) * (1.0 + y)), x;
    if (w < 5.0) {
        w -= 2.5;
        x = 2.81022636e-08;
        x = 3.43273939e-07 + x * w;
        x = -3.5233877e-06 + x * w;
        x = -4.39150654e-06 + x * w;
        x = 0.00021858087 + x * w;
        x = -0.00125372503 + x * w;
        x = -0.00417768164 + x * w;
        x = 0.246640727 + x * w;
        x = 1.50140941 + x * w;
    } else {
        w = sqrt(w) - 3.0;
        x = -0.000200214257;
        x = 0.000100950558 + x * w;
        x = 0.00134934322 + x * w;
        x = -0.00367342844 + x * w;
        x = 0.00573950773 + x * w;
        x = -0.0076224613 + x * w;
        x = 0.00943887047 + x * w;
        x = 1.00167406 + x * w;
        x = 2.83297682 + x * w;
    }
    x *= y;
    for (int i = 0; i < 2; ++i) x -= (erf(x) - y) / (1.1283791670955126 * exp(-x * x));
    return x;
}

/* Inverse error function for float data, without branches so that the loop vectorizes
 * with libmvec (logf, and erf/exp in double): both polynomials are evaluated in float
 * and picked by bit masks (a ?: on floats stays a jump under -ftrapping-math, and jumps
 * block the vectorizer). From Giles' float guess (error ~1e-6) one Newton step in double
 * is already far below float's rounding: on 4M random floats and the 1e5 floats nearest
 * 1 it gives the same bits as em_erfinv_d, at 10x its speed. Double data keeps that. */
static inline float em_select_f(int c, float a, float b) {
    uint32_t ua, ub, m = -(uint32_t)c;
    memcpy(&ua, &a, 4);
    memcpy(&ub, &b, 4);
    ua = (ua & m) | (ub & ~m);
    memcpy(&a, &ua, 4);
    return a;
}
static inline float em_erfinv_f(float y) {
    const float w = -logf((1.0f - y) * (1.0f + y)), wc = w - 2.5f, wt = sqrtf(w) - 3.0f;
    float xc = 2.81022636e-08f, xt = -0.000200214257f;
    xc = 3.43273939e-07f + xc * wc;
    xt = 0.000100950558f + xt * wt;
    xc = -3.5233877e-06f + xc * wc;
    xt = 0.00134934322f + xt * wt;
    xc = -4.39150654e-06f + xc * wc;
    xt = -0.00367342844f + xt * wt;
    xc = 0.00021858087f + xc * wc;
    xt = 0.00573950773f + xt * wt;
    xc = -0.00125372503f + xc * wc;
    xt = -0.0076224613f + xt * wt;
    xc = -0.00417768164f + xc * wc;
    xt = 0.00943887047f + xt * wt;
    xc = 0.246640727f + xc * wc;
    xt = 1.00167406f + xt * wt;
    xc = 1.50140941f + xc * wc;
    xt = 2.83297682f + xt * wt;
    double x = (double)(em_select_f(w < 5.0f, xc, xt) * y);
    x -= (erf(x) - (double)y) / (1.1283791670955126 * exp(-x * x));
    /* |y| < 1: x; y = +-1: +-inf; |y| > 1 or NaN: NaN */
    return em_select_f(fabsf(y) < 1, (float)x, em_select_f(fabsf(y) == 1, y * INFINITY, NAN));
}
#define em_erfinv(v)                                                                  \
    ((__typeof__((v) + 0))__builtin_choose_expr(                                      \
        __builtin_types_compatible_p(__typeof__((v) + 0), float), em_erfinv_f((float)(v)), \
        em_erfinv_d((double)(v))))

/* Digamma: reflection for negative arguments, recurrence up to 6, then the
 * asymptotic series. Poles give NaN for negative integers and -inf at 0 like torch. */
static inline double em_digamma_d(double x) {
    if (x == 0) return copysign(INFINITY, -x);
    if (x < 0) {
        if (x == floor(x)) return NAN;
        return em_digamma_d(1 - x) - M_PI / tan(M_PI * x);
    }
    double r = 0;
    while (x < 6) {
        r -= 1 / x;
        x += 1;
    }
    double f = 1 / (x * x);
    double t = f * (-1.0 / 12 + f * (1.0 / 120 + f * (-1.0 / 252 + f * (1.0 / 240 +
               f * (-1.0 / 132 + f * (691.0 / 32760 + f * (-1.0 / 12)))))));
    return r + log(x) - 0.5 / x + t;
}
#define em_digamma(v) ((__typeof__((v) + 0))em_digamma_d((double)(v)))

#endif
