/* Counter-based random numbers (Philox4x32-10, Salmon et al. 2011). Element i of a
 * request uses counter `counter + i`, so results depend only on (seed, offset) and
 * never on the number of threads. */
#include "em_scalar.h" /* em_digamma_d, for the gamma gradient */

/* The float math of this file must round the same in both EM_HOT builds: GCC would
 * fuse a * b + c into one FMA in the x86-64-v3 copy only, and the same seed would
 * then give other bits on an AVX2 machine. */
#pragma GCC optimize("fp-contract=off")

/* Philox, its uniforms and the gamma/Poisson samplers: one source with the CUDA backend */
#define EM_RF static inline
#define EM_RF_NAN NAN
#define EM_RF_INF INFINITY
#include "../src/ember/backends/em_random_math.h"

/* Kernels work a chunk of EM_RNG_BLOCKS Philox blocks at a time: the block words go
 * to four lane arrays (16 KiB stays in L1), and the transforms then read them in
 * loops the compiler vectorizes, with libmvec's log/sin/cos. Block k of a request
 * always covers the same elements, so chunking and threads never change a value. */
#define EM_RNG_BLOCKS 1024
/* transform loops run over a multiple of 16 blocks in aligned buffers: see em_normal_chunk */
#define EM_RNG_ROUND(nb) (((nb) + 15) & ~15)
#define EM_RNG_ALIGNED __attribute__((aligned(64)))
typedef struct { uint32_t w[4][EM_RNG_BLOCKS]; } em_philox_lanes;

/* Philox of blocks counter, counter + 1, ..., counter + nb - 1, one lane per block:
 * the same rounds as em_philox, written with 32-bit halves of the products and
 * unrolled so that the loop over blocks vectorizes. */
#define EM_PHILOX_ROUND(r)                                                             \
    do {                                                                               \
        uint32_t h0 = (uint32_t)(((uint64_t)c0 * 0xD2511F53u) >> 32);                  \
        uint32_t h2 = (uint32_t)(((uint64_t)c2 * 0xCD9E8D57u) >> 32);                  \
        uint32_t l0 = c0 * 0xD2511F53u, l2 = c2 * 0xCD9E8D57u;                         \
        c0 = h2 ^ c1 ^ (k0 + (r) * 0x9E3779B9u);                                      \
        c2 = h0 ^ c3 ^ (k1 + (r) * 0xBB67AE85u);                                      \
        c1 = l2;                                                                       \
        c3 = l0;                                                                       \
    } while (0)
static inline void em_philox_fill(em_philox_lanes *restrict b, int nb, uint64_t seed,
                                  uint64_t counter) {
    const uint32_t lo = (uint32_t)counter, hi = (uint32_t)(counter >> 32);
    const uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int j = 0; j < nb; ++j) {
        uint32_t c0 = lo + (uint32_t)j, c1 = hi + (c0 < lo), c2 = 0, c3 = 0;
        EM_PHILOX_ROUND(0u); EM_PHILOX_ROUND(1u); EM_PHILOX_ROUND(2u); EM_PHILOX_ROUND(3u);
        EM_PHILOX_ROUND(4u); EM_PHILOX_ROUND(5u); EM_PHILOX_ROUND(6u); EM_PHILOX_ROUND(7u);
        EM_PHILOX_ROUND(8u); EM_PHILOX_ROUND(9u);
        b->w[0][j] = c0;
        b->w[1][j] = c1;
        b->w[2][j] = c2;
        b->w[3][j] = c3;
    }
}

/* Stores cnt float results in the request's dtype (a float32 chunk may already be there). */
static void em_store_floats(int dtype, void *out, int64_t i0, const float *v, int cnt) {
    if (dtype == EM_F32) {
        if ((const float *)out + i0 != v) memcpy((float *)out + i0, v, sizeof(float) * cnt);
    } else if (dtype == EM_F16) {
        for (int i = 0; i < cnt; ++i) ((em_f16 *)out)[i0 + i] = (em_f16)v[i];
    } else {
        for (int i = 0; i < cnt; ++i) ((em_bf16 *)out)[i0 + i] = em_bf16_store(v[i]);
    }
}

/* Where a chunk of 4 * nb float values goes: straight into a float32 output when all
 * of it fits, else a scratch buffer that em_store_floats copies from. */
static inline float *em_chunk_dst(int dtype, void *out, int64_t i0, int cnt, int nb,
                                  float *scratch) {
    return dtype == EM_F32 && cnt == 4 * nb ? (float *)out + i0 : scratch;
}

static inline int em_min_int(int64_t a, int64_t b) { return (int)(a < b ? a : b); }

/* One chunk of em_random_uniform: elements [i0, i0 + cnt) from the blocks that start
 * at counter (a block gives four float32 or two float64 values). */
static EM_HOT void em_uniform_chunk(int dtype, void *out, int64_t i0, int cnt, uint64_t seed,
                                    uint64_t counter, double low, double high) {
    EM_RNG_ALIGNED em_philox_lanes b;
    if (dtype == EM_F64) {
        const int nb = (cnt + 1) / 2;
        em_philox_fill(&b, nb, seed, counter);
        double v[2 * EM_RNG_BLOCKS];
        const double span = high - low;
        double *restrict o = cnt == 2 * nb ? (double *)out + i0 : v;
        for (int j = 0; j < nb; ++j) {
            o[2 * j] = low + span * em_u01d(b.w[0][j], b.w[1][j]);
            o[2 * j + 1] = low + span * em_u01d(b.w[2][j], b.w[3][j]);
        }
        if (o == v) memcpy((double *)out + i0, v, sizeof(double) * cnt);
        return;
    }
    const int nb = (cnt + 3) / 4;
    em_philox_fill(&b, nb, seed, counter);
    float scratch[4 * EM_RNG_BLOCKS];
    float *restrict o = em_chunk_dst(dtype, out, i0, cnt, nb, scratch);
    const float lo = (float)low, sp = (float)(high - low), hi = (float)high;
    /* rounding must not reach high: such values become the float just below it */
    const float top = high > low ? nextafterf(hi, lo) : hi, lim = high > low ? hi : INFINITY;
    for (int j = 0; j < nb; ++j)
        for (int l = 0; l < 4; ++l) {
            float v = lo + sp * em_u01f(b.w[l][j]);
            o[4 * j + l] = v >= lim ? top : v;
        }
    em_store_floats(dtype, out, i0, o, cnt);
}

/* Each Philox block gives 128 random bits: four float32 uniforms or two float64
 * ones. Block k covers elements [per*k, per*k + per), so element i depends only on
 * (seed, counter, i). */
int em_random_uniform(int dtype, void *out, int64_t n, uint64_t seed, uint64_t counter,
                      double low, double high) {
    if (dtype > EM_BF16 || n < 0) return EM_EDTYPE;
    const int64_t per = dtype == EM_F64 ? 2 : 4, chunk = per * EM_RNG_BLOCKS;
    EM_PARALLEL_FOR(n > EM_PAR_THRESHOLD,
    for (int64_t c = 0; c < (n + chunk - 1) / chunk; ++c) {
        em_uniform_chunk(dtype, out, c * chunk, em_min_int(chunk, n - c * chunk), seed,
                         counter + (uint64_t)(c * EM_RNG_BLOCKS), low, high);
    });
    return EM_OK;
}

/* One chunk of em_random_normal. Box-Muller: float32 takes two (radius, angle) pairs
 * from a block (words 0/1 and 2/3), float64 one pair of 53-bit uniforms. The sine and
 * cosine loops are separate: in one loop GCC merges them into a scalar sincos call.
 * libmvec's log/sin/cos round differently from the scalar libm calls of a loop's
 * remainder, so every element must take the vector path, or a value would depend on
 * the length of its request: the loops run over aligned local buffers, a multiple of
 * 16 blocks long (the surplus blocks are computed and dropped), and the results are
 * copied out. */
static EM_HOT void em_normal_chunk(int dtype, void *out, int64_t i0, int cnt, uint64_t seed,
                                   uint64_t counter, double mean, double std) {
    EM_RNG_ALIGNED em_philox_lanes b;
    if (dtype == EM_F64) {
        const int nb = EM_RNG_ROUND((cnt + 1) / 2);
        em_philox_fill(&b, nb, seed, counter);
        EM_RNG_ALIGNED double r[EM_RNG_BLOCKS], t[EM_RNG_BLOCKS], o[2 * EM_RNG_BLOCKS];
        for (int j = 0; j < nb; ++j) { /* log of (0, 1] */
            r[j] = std * sqrt(-2.0 * log(1.0 - em_u01d(b.w[0][j], b.w[1][j])));
            t[j] = 6.283185307179586 * em_u01d(b.w[2][j], b.w[3][j]);
        }
        for (int j = 0; j < nb; ++j) o[2 * j] = mean + r[j] * cos(t[j]);
        for (int j = 0; j < nb; ++j) o[2 * j + 1] = mean + r[j] * sin(t[j]);
        memcpy((double *)out + i0, o, sizeof(double) * cnt);
        return;
    }
    const int nb = EM_RNG_ROUND((cnt + 3) / 4);
    em_philox_fill(&b, nb, seed, counter);
    EM_RNG_ALIGNED float r[2][EM_RNG_BLOCKS], t[2][EM_RNG_BLOCKS], o[4 * EM_RNG_BLOCKS];
    const float m = (float)mean, s = (float)std;
    for (int p = 0; p < 2; ++p)
        for (int j = 0; j < nb; ++j) {
            r[p][j] = s * sqrtf(-2.0f * logf(1.0f - em_u01f(b.w[2 * p][j])));
            t[p][j] = 6.2831853f * em_u01f(b.w[2 * p + 1][j]);
        }
    for (int j = 0; j < nb; ++j) {
        o[4 * j] = m + r[0][j] * cosf(t[0][j]);
        o[4 * j + 2] = m + r[1][j] * cosf(t[1][j]);
    }
    for (int j = 0; j < nb; ++j) {
        o[4 * j + 1] = m + r[0][j] * sinf(t[0][j]);
        o[4 * j + 3] = m + r[1][j] * sinf(t[1][j]);
    }
    em_store_floats(dtype, out, i0, o, cnt);
}

int em_random_normal(int dtype, void *out, int64_t n, uint64_t seed, uint64_t counter,
                     double mean, double std) {
    if (dtype > EM_BF16 || n < 0) return EM_EDTYPE;
    const int64_t per = dtype == EM_F64 ? 2 : 4, chunk = per * EM_RNG_BLOCKS;
    EM_PARALLEL_FOR(n > EM_PAR_THRESHOLD,
    for (int64_t c = 0; c < (n + chunk - 1) / chunk; ++c) {
        em_normal_chunk(dtype, out, c * chunk, em_min_int(chunk, n - c * chunk), seed,
                        counter + (uint64_t)(c * EM_RNG_BLOCKS), mean, std);
    });
    return EM_OK;
}

int em_random_bits(uint64_t *out, int64_t n, uint64_t seed, uint64_t counter) {
    if (n < 0) return EM_EINVAL;
    EM_PARALLEL_FOR(n > EM_PAR_THRESHOLD,
    for (int64_t i = 0; i < n; ++i) {
        em_philox_block b = em_philox(seed, counter + (uint64_t)i, 0);
        out[i] = ((uint64_t)b.v[0] << 32) | b.v[1];
    });
    return EM_OK;
}

#define EM_SAMPLER_BODY(one)                                                          \
    if ((dtype != EM_F32 && dtype != EM_F64) || n < 0) return EM_EDTYPE;              \
    EM_PARALLEL_FOR(n > 4096,                                                        \
    for (int64_t i = 0; i < n; ++i) {                                                 \
        uint64_t ctr = counter + (uint64_t)i;                                         \
        if (dtype == EM_F64)                                                          \
            ((double *)out)[i] = one(((const double *)param)[i], seed, ctr);          \
        else                                                                          \
            ((float *)out)[i] = (float)one((double)((const float *)param)[i], seed, ctr); \
    });                                                                               \
    return EM_OK;

int em_random_gamma(int dtype, const void *param, void *out, int64_t n, uint64_t seed,
                    uint64_t counter) {
    EM_SAMPLER_BODY(em_gamma_one)
}

int em_random_poisson(int dtype, const void *param, void *out, int64_t n, uint64_t seed,
                      uint64_t counter) {
    EM_SAMPLER_BODY(em_poisson_one)
}

int em_random_binomial(int dtype, const void *count, const void *prob, void *out, int64_t n,
                       uint64_t seed, uint64_t counter) {
    if ((dtype != EM_F32 && dtype != EM_F64) || n < 0) return EM_EDTYPE;
    EM_PARALLEL_FOR(n > 4096,
    for (int64_t i = 0; i < n; ++i) {
        uint64_t ctr = counter + (uint64_t)i;
        if (dtype == EM_F64)
            ((double *)out)[i] = em_binomial_one(((const double *)count)[i],
                                                 ((const double *)prob)[i], seed, ctr);
        else
            ((float *)out)[i] = (float)em_binomial_one((double)((const float *)count)[i],
                                                       (double)((const float *)prob)[i], seed,
                                                       ctr);
    });
    return EM_OK;
}

int em_standard_gamma_grad(int dtype, const void *alpha, const void *x, void *out, int64_t n) {
    if ((dtype != EM_F32 && dtype != EM_F64) || n < 0) return EM_EDTYPE;
    EM_PARALLEL_FOR(n > 4096,
    for (int64_t i = 0; i < n; ++i) {
        if (dtype == EM_F64)
            ((double *)out)[i] = em_gamma_grad_one(((const double *)alpha)[i],
                                                   ((const double *)x)[i]);
        else
            ((float *)out)[i] = (float)em_gamma_grad_one((double)((const float *)alpha)[i],
                                                         (double)((const float *)x)[i]);
    });
    return EM_OK;
}
