/* Counter-based random numbers (Philox4x32-10, Salmon et al. 2011). Element i of a
 * request uses counter `counter + i`, so results depend only on (seed, offset) and
 * never on the number of threads. */
#include "em_internal.h"
#include "em_vecmath.h"

typedef struct { uint32_t v[4]; } em_philox_block;

static inline em_philox_block em_philox(uint64_t seed, uint64_t counter) {
    uint32_t c0 = (uint32_t)counter, c1 = (uint32_t)(counter >> 32), c2 = 0, c3 = 0;
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; ++r) {
        uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    em_philox_block b = {{c0, c1, c2, c3}};
    return b;
}

/* uniform in [0, 1): 24 bits for single precision, 53 for double */
static inline float em_u01f(uint32_t x) { return (float)(x >> 8) * (1.0f / 16777216.0f); }
static inline double em_u01d(uint32_t hi, uint32_t lo) {
    return (double)((((uint64_t)hi << 32) | lo) >> 11) * (1.0 / 9007199254740992.0);
}

#define EM_STORE_ANY(dtype, out, i, val)                                     \
    switch (dtype) {                                                         \
    case EM_F32: ((float *)out)[i] = (float)(val); break;                    \
    case EM_F64: ((double *)out)[i] = (double)(val); break;                  \
    case EM_F16: ((em_f16 *)out)[i] = (em_f16)(float)(val); break;           \
    default: ((em_bf16 *)out)[i] = em_bf16_store((float)(val)); break;       \
    }

/* Each Philox block gives 128 random bits: four float32 uniforms or two float64
 * ones. Block k covers elements [per*k, per*k + per), so element i depends only on
 * (seed, counter, i). */
int em_random_uniform(int dtype, void *out, int64_t n, uint64_t seed, uint64_t counter,
                      double low, double high) {
    if (dtype > EM_BF16 || n < 0) return EM_EDTYPE;
    const double span = high - low;
    if (dtype == EM_F64) {
        double *o = (double *)out;
        EM_PARALLEL_FOR(n > EM_PAR_THRESHOLD)
        for (int64_t k = 0; k < (n + 1) / 2; ++k) {
            em_philox_block b = em_philox(seed, counter + (uint64_t)k);
            o[2 * k] = low + span * em_u01d(b.v[0], b.v[1]);
            if (2 * k + 1 < n) o[2 * k + 1] = low + span * em_u01d(b.v[2], b.v[3]);
        }
        return EM_OK;
    }
    const float lo = (float)low, sp = (float)span, hi = (float)high;
    EM_PARALLEL_FOR(n > EM_PAR_THRESHOLD)
    for (int64_t k = 0; k < (n + 3) / 4; ++k) {
        em_philox_block b = em_philox(seed, counter + (uint64_t)k);
        for (int l = 0; l < 4 && 4 * k + l < n; ++l) {
            float v = lo + sp * em_u01f(b.v[l]);
            if (v >= hi && high > low) v = nextafterf(hi, lo); /* rounding must not reach high */
            EM_STORE_ANY(dtype, out, 4 * k + l, v);
        }
    }
    return EM_OK;
}

/* Box-Muller: one block gives two pairs of float32 normals (cosine and sine
 * branches) or one pair of float64 normals. */
int em_random_normal(int dtype, void *out, int64_t n, uint64_t seed, uint64_t counter,
                     double mean, double std) {
    if (dtype > EM_BF16 || n < 0) return EM_EDTYPE;
    if (dtype == EM_F64) {
        double *o = (double *)out;
        EM_PARALLEL_FOR(n > EM_PAR_THRESHOLD)
        for (int64_t k = 0; k < (n + 1) / 2; ++k) {
            em_philox_block b = em_philox(seed, counter + (uint64_t)k);
            double r = sqrt(-2.0 * log(1.0 - em_u01d(b.v[0], b.v[1]))); /* log of (0, 1] */
            double t = 6.283185307179586 * em_u01d(b.v[2], b.v[3]);
            o[2 * k] = mean + std * r * cos(t);
            if (2 * k + 1 < n) o[2 * k + 1] = mean + std * r * sin(t);
        }
        return EM_OK;
    }
    const float m = (float)mean, s = (float)std;
    EM_PARALLEL_FOR(n > EM_PAR_THRESHOLD)
    for (int64_t k = 0; k < (n + 3) / 4; ++k) {
        em_philox_block b = em_philox(seed, counter + (uint64_t)k);
        float z[4];
        for (int p = 0; p < 2; ++p) {
            float r = sqrtf(-2.0f * logf(1.0f - em_u01f(b.v[2 * p])));
            float t = 6.2831853f * em_u01f(b.v[2 * p + 1]);
            z[2 * p] = m + s * r * cosf(t);
            z[2 * p + 1] = m + s * r * sinf(t);
        }
        for (int l = 0; l < 4 && 4 * k + l < n; ++l) EM_STORE_ANY(dtype, out, 4 * k + l, z[l]);
    }
    return EM_OK;
}

int em_random_bits(uint64_t *out, int64_t n, uint64_t seed, uint64_t counter) {
    if (n < 0) return EM_EINVAL;
    EM_PARALLEL_FOR(n > EM_PAR_THRESHOLD)
    for (int64_t i = 0; i < n; ++i) {
        em_philox_block b = em_philox(seed, counter + (uint64_t)i);
        out[i] = ((uint64_t)b.v[0] << 32) | b.v[1];
    }
    return EM_OK;
}
