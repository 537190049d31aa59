/* Counter-based random numbers (Philox4x32-10, Salmon et al. 2011). Element i of a
 * request uses counter `counter + i`, so results depend only on (seed, offset) and
 * never on the number of threads. */
#include "em_internal.h"

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

int em_random_uniform(int dtype, void *out, int64_t n, uint64_t seed, uint64_t counter,
                      double low, double high) {
    if (dtype > EM_BF16 || n < 0) return EM_EDTYPE;
    const double span = high - low;
    EM_PARALLEL_FOR(n > EM_PAR_THRESHOLD)
    for (int64_t i = 0; i < n; ++i) {
        em_philox_block b = em_philox(seed, counter + (uint64_t)i);
        if (dtype == EM_F64) {
            ((double *)out)[i] = low + span * em_u01d(b.v[0], b.v[1]);
        } else {
            float u = em_u01f(b.v[0]);
            float v = (float)low + (float)span * u;
            if (v >= (float)high && high > low) v = nextafterf((float)high, (float)low);
            EM_STORE_ANY(dtype, out, i, v);
        }
    }
    return EM_OK;
}

/* Box-Muller on two uniforms of each element's own block. */
int em_random_normal(int dtype, void *out, int64_t n, uint64_t seed, uint64_t counter,
                     double mean, double std) {
    if (dtype > EM_BF16 || n < 0) return EM_EDTYPE;
    EM_PARALLEL_FOR(n > EM_PAR_THRESHOLD)
    for (int64_t i = 0; i < n; ++i) {
        em_philox_block b = em_philox(seed, counter + (uint64_t)i);
        double u1 = 1.0 - em_u01d(b.v[0], b.v[1]); /* (0, 1]: log stays finite */
        double u2 = em_u01d(b.v[2], b.v[3]);
        double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
        EM_STORE_ANY(dtype, out, i, mean + std * z);
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
