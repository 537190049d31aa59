/* em_random_math.h: Philox4x32-10 (Salmon et al. 2011), its uniforms, the gamma, Poisson
 * and binomial samplers and the standard gamma sample's reparameterized gradient, written
 * once for both backends. core/csrc/random.c includes it as C (EM_RF = static inline); the CUDA
 * backend (backends/cuda/kernels.py) reads this file and compiles it with
 * EM_RF = __device__. The includer defines EM_RF, EM_RF_NAN and EM_RF_INF, provides
 * em_digamma_d, and compiles without FMA contraction, so that a seed gives the same bits on
 * every machine; the code uses only math functions common to C99 and CUDA.
 *
 * Counter layout: block (counter, sub) is Philox of the 128-bit counter
 * (counter low, counter high, sub, 0). Bulk draws use sub 0 and counter + k for block k of
 * a request. The rejection samplers use an unbounded number of uniforms per element, so
 * element i owns counter `counter + i` and numbers its draws in `sub`: a value depends only
 * on (seed, counter, i, its parameter), never on the thread count or the other elements.
 * All sampler arithmetic is in double. */
#ifndef EM_RANDOM_MATH_H
#define EM_RANDOM_MATH_H

typedef struct { unsigned int v[4]; } em_philox_block;

EM_RF em_philox_block em_philox(unsigned long long seed, unsigned long long counter,
                                unsigned int sub) {
    unsigned int c0 = (unsigned int)counter, c1 = (unsigned int)(counter >> 32), c2 = sub, c3 = 0;
    unsigned int k0 = (unsigned int)seed, k1 = (unsigned int)(seed >> 32);
    for (int r = 0; r < 10; ++r) {
        unsigned long long p0 = (unsigned long long)0xD2511F53u * c0;
        unsigned long long p1 = (unsigned long long)0xCD9E8D57u * c2;
        unsigned int n0 = (unsigned int)(p1 >> 32) ^ c1 ^ k0;
        unsigned int n2 = (unsigned int)(p0 >> 32) ^ c3 ^ k1;
        c1 = (unsigned int)p1;
        c3 = (unsigned int)p0;
        c0 = n0;
        c2 = n2;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    em_philox_block b = {{c0, c1, c2, c3}};
    return b;
}

/* uniform in [0, 1): 24 bits for single precision, 53 for double. The int casts are exact
 * and let the CPU's conversions vectorize (uint32 -> float has no SSE/AVX2 instruction). */
EM_RF float em_u01f(unsigned int x) {
    return (float)(int)(x >> 8) * (1.0f / 16777216.0f);
}
EM_RF double em_u01d(unsigned int hi, unsigned int lo) {
    double top = (double)(int)(hi >> 1) * 2.0 + (double)(int)(hi & 1u); /* = hi */
    return (top * 2097152.0 + (double)(int)(lo >> 11)) * (1.0 / 9007199254740992.0);
}

/* Gamma(alpha, 1) by Marsaglia and Tsang (2000): squeeze-accepted cubes of a shifted
 * normal. Trial t takes draws 2t and 2t + 1: the first gives a Box-Muller normal, the
 * second the acceptance uniform and, for alpha < 1, the uniform of the boost
 * Gamma(alpha) = Gamma(alpha + 1) * U^(1/alpha) (applied in logs). */
EM_RF double em_gamma_one(double alpha, unsigned long long seed, unsigned long long ctr) {
    if (!(alpha >= 0)) return EM_RF_NAN;
    if (alpha == 0) return 0.0;
    if (isinf(alpha)) return EM_RF_INF;
    const double shape = alpha < 1 ? alpha + 1 : alpha;
    const double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (unsigned int k = 0;; k += 2) {
        em_philox_block n = em_philox(seed, ctr, k), a = em_philox(seed, ctr, k + 1);
        double u1 = 1.0 - em_u01d(n.v[0], n.v[1]), u2 = em_u01d(n.v[2], n.v[3]);
        double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
        double v = 1.0 + c * z;
        if (v <= 0) continue;
        v = v * v * v;
        double u = 1.0 - em_u01d(a.v[0], a.v[1]); /* (0, 1] */
        double z2 = z * z;
        if (u < 1.0 - 0.0331 * z2 * z2 || log(u) < 0.5 * z2 + d * (1.0 - v + log(v))) {
            if (alpha >= 1) return d * v;
            double ub = 1.0 - em_u01d(a.v[2], a.v[3]);
            return exp(log(d * v) + log(ub) / alpha);
        }
    }
}

/* Poisson(lam): below 10 by multiplying uniforms until the product falls under
 * exp(-lam) (two uniforms a draw); from 10 on by Hormann's transformed rejection
 * with squeeze (PTRS, 1993), one draw a trial. */
EM_RF double em_poisson_one(double lam, unsigned long long seed, unsigned long long ctr) {
    if (!(lam >= 0)) return EM_RF_NAN;
    if (lam == 0) return 0.0;
    if (isinf(lam)) return EM_RF_INF;
    if (lam < 10) {
        const double lim = exp(-lam);
        double prod = 1.0, k = 0;
        for (unsigned int s = 0;; ++s) {
            em_philox_block b = em_philox(seed, ctr, s);
            prod *= em_u01d(b.v[0], b.v[1]);
            if (prod < lim) return k;
            k += 1;
            prod *= em_u01d(b.v[2], b.v[3]);
            if (prod < lim) return k;
            k += 1;
        }
    }
    const double sl = sqrt(lam), ll = log(lam);
    const double b = 0.931 + 2.53 * sl, a = -0.059 + 0.02483 * b;
    const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2.0);
    for (unsigned int s = 0;; ++s) {
        em_philox_block blk = em_philox(seed, ctr, s);
        double U = em_u01d(blk.v[0], blk.v[1]) - 0.5, V = em_u01d(blk.v[2], blk.v[3]);
        double us = 0.5 - fabs(U);
        double k = floor((2.0 * a / us + b) * U + lam + 0.43);
        if (us >= 0.07 && V <= vr) return k;
        if (k < 0 || (us < 0.013 && V > us)) continue;
        if (log(V) + log(inv_alpha) - log(a / (us * us) + b) <= -lam + k * ll - lgamma(k + 1.0))
            return k;
    }
}

/* Binomial(count, prob), count truncated to an integer as torch: by symmetry in prob <= 1/2,
 * then below count * prob = 10 by inversion (one uniform walks the pmf up from 0; a walk
 * that rounding carries past count takes the next draw), from 10 on by Hormann's
 * transformed rejection with squeeze (BTRS, 1993), one draw a trial. NaN stays NaN,
 * count <= 0 or prob <= 0 gives 0 and prob >= 1 gives count itself, as torch; an
 * infinite count gives infinity. */
EM_RF double em_binomial_one(double count, double prob, unsigned long long seed,
                             unsigned long long ctr) {
    if (isnan(count) || isnan(prob)) return EM_RF_NAN;
    if (count <= 0 || prob <= 0) return 0.0;
    if (prob >= 1) return count;
    if (isinf(count)) return EM_RF_INF;
    const double n = floor(count);
    const int flip = prob > 0.5;
    const double p = flip ? 1 - prob : prob, q = 1 - p;
    double k = 0;
    if (n * p < 10) {
        const double odds = p / q, step = (n + 1) * odds, first = pow(q, n);
        for (unsigned int s = 0;; ++s) {
            em_philox_block b = em_philox(seed, ctr, s);
            double u = em_u01d(b.v[0], b.v[1]), pmf = first;
            k = 0;
            while (u > pmf && k <= n) {
                u -= pmf;
                k += 1;
                pmf *= step / k - odds;
            }
            if (k <= n) break;
        }
    } else {
        const double spq = sqrt(n * p * q), b = 1.15 + 2.53 * spq;
        const double a = -0.0873 + 0.0248 * b + 0.01 * p, c = n * p + 0.5, vr = 0.92 - 4.2 / b;
        const double alpha = (2.83 + 5.1 / b) * spq, lpq = log(p / q);
        const double m = floor((n + 1) * p), h = lgamma(m + 1) + lgamma(n - m + 1);
        for (unsigned int s = 0;; ++s) {
            em_philox_block blk = em_philox(seed, ctr, s);
            const double U = em_u01d(blk.v[0], blk.v[1]) - 0.5, V = em_u01d(blk.v[2], blk.v[3]);
            const double us = 0.5 - fabs(U);
            k = floor((2 * a / us + b) * U + c);
            if (k < 0 || k > n) continue;
            if (us >= 0.07 && V <= vr) break;
            if (log(V * alpha / (a / (us * us) + b)) <=
                h - lgamma(k + 1) - lgamma(n - k + 1) + (k - m) * lpq)
                break;
        }
    }
    return flip ? n - k : k;
}

/* ---- d sample / d alpha of a standard gamma sample ----------------------------------
 * Implicit reparameterization: x = F^-1(u; a) gives dx/da = -(dF/da)(x; a) / f(x; a),
 * with F the regularized lower incomplete gamma P(a, x). Both pieces are carried in
 * closed form with forward-mode derivatives in a:
 *  - x < a + 1: P = x^a e^-x / Gamma(a + 1) * S, S = sum_n x^n / ((a+1)...(a+n)), and
 *    dS/da = -sum_n t_n H_n with H_n = sum_{k<=n} 1/(a+k); then
 *    dx/da = -(log x - psi(a + 1) + S'/S) x S / a.
 *  - otherwise: Q = 1 - P = x^a e^-x / Gamma(a) * h, h the Legendre continued fraction
 *    evaluated by modified Lentz with (value, d/da) pairs; dx/da = (log x - psi(a) + h'/h) x h.
 * Both are accurate to a few ulps times the number of terms (no fitted approximations).
 * em_digamma_d is the digamma function each backend already has (em_scalar.h; the CUDA
 * preamble). */
EM_RF double em_gamma_grad_one(double a, double x) {
    if (!(a > 0) || isnan(x)) return EM_RF_NAN;
    if (x <= 0 || isinf(a)) return 0.0;
    if (isinf(x)) return EM_RF_INF;
    const double eps = 1e-17;
    if (x < a + 1) {
        double S = 1, dS = 0, t = 1, H = 0;
        for (int n = 1; n < 10000000; ++n) {
            const double an = a + n;
            H += 1 / an;
            t *= x / an;
            S += t;
            dS -= t * H;
            if (t < eps * S && t * H < eps * -dS) break;
        }
        return -(log(x) - em_digamma_d(a + 1) + dS / S) * x * S / a;
    }
    const double tiny = 1e-300;
    double b = x + 1 - a, db = -1;
    double c = 1 / tiny, dc = 0;
    double d = 1 / b, dd = -db / (b * b);
    double h = d, dh = dd;
    for (int i = 1; i < 10000000; ++i) {
        const double an = -i * (i - a), dan = i;
        b += 2;
        double nd = an * d + b, ndd = dan * d + an * dd + db;
        if (fabs(nd) < tiny) { nd = tiny; ndd = 0; }
        double nc = b + an / c, ndc = db + (dan * c - an * dc) / (c * c);
        if (fabs(nc) < tiny) { nc = tiny; ndc = 0; }
        d = 1 / nd;
        dd = -ndd / (nd * nd);
        c = nc;
        dc = ndc;
        const double del = d * c, ddel = dd * c + d * dc;
        const double nh = h * del, ndh = dh * del + h * ddel;
        const int done = fabs(del - 1) < 1e-16 && fabs(ndh - dh) <= 1e-16 * fabs(ndh);
        h = nh;
        dh = ndh;
        if (done) break;
    }
    return (log(x) - em_digamma_d(a) + dh / h) * x * h;
}

#endif
