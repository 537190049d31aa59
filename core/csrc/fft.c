/* Discrete Fourier transforms over contiguous rows (ember.fft).
 *
 * Smooth lengths (factors 2, 3, 5) run an iterative Stockham mixed-radix
 * Cooley-Tukey transform (radix 4 first, then 2, 3, 5): each stage reads one buffer
 * and writes the other, so the result comes out in natural order without a bit
 * reversal pass. Any other length goes through Bluestein's algorithm, a circular
 * convolution on a smooth length m >= 2n - 1. Inverse transforms run as
 * conj(F(conj(x))), folded into the load and store passes. Rows run in parallel.
 *
 * Plans (twiddle tables, Bluestein chirps) depend only on the length: they are built
 * once and kept in a small cache shared by all threads (cffi calls drop the GIL). */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include "em_internal.h"

typedef struct fft_plan {
    int64_t n;
    int nstages;
    int radix[64];
    double *tw;           /* W_n^k, k < n, interleaved complex */
    float *twf;
    double *htw;          /* W_2n^k, k < n: the twiddles of real transforms of length 2n */
    float *htwf;
    int64_t work_len;     /* complex scratch values a row needs besides its own n */
    struct fft_plan *sub; /* Bluestein: the smooth plan of length m, else NULL */
    double *chirp, *bfft; /* Bluestein: c_k (n values), FFT of conj chirp / m (m values) */
    float *chirpf, *bfftf;
} fft_plan;

/* Transforms at least this long split each stage across threads (a team per stage: at
 * 65536 values two threads took 641 us where one took 490). */
#define EM_FFT_PAR_MIN (1 << 18)
#define EM_FFT_QBLOCK 256

#define EM_FFT_IN_COMPLEX 0
#define EM_FFT_IN_REAL 1
#define EM_FFT_IN_HERMITIAN 2

#define FR double
#define FS(name) name##_f64
#include "templates/fft.inc"
#define FR float
#define FS(name) name##_f32
#include "templates/fft.inc"

static int64_t smooth_part(int64_t n) {
    while (n % 2 == 0) n /= 2;
    while (n % 3 == 0) n /= 3;
    while (n % 5 == 0) n /= 5;
    return n;
}

static float *to_float(const double *d, int64_t count) {
    float *f = malloc(sizeof(float) * (size_t)(count > 0 ? count : 1));
    if (f)
        for (int64_t i = 0; i < count; ++i) f[i] = (float)d[i];
    return f;
}

static void plan_free(fft_plan *p) {
    if (!p) return;
    plan_free(p->sub);
    free(p->tw); free(p->twf); free(p->htw); free(p->htwf); free(p->chirp); free(p->bfft); free(p->chirpf); free(p->bfftf);
    free(p);
}

static fft_plan *plan_new(int64_t n) {
    fft_plan *p = calloc(1, sizeof(fft_plan));
    if (!p) return NULL;
    p->n = n;
    p->htw = malloc(sizeof(double) * 2 * (size_t)n);
    if (!p->htw) goto fail;
    for (int64_t k = 0; k < n; ++k) {
        const double a = -M_PI * (double)k / (double)n;
        p->htw[2 * k] = cos(a);
        p->htw[2 * k + 1] = sin(a);
    }
    if (!(p->htwf = to_float(p->htw, 2 * n))) goto fail;
    if (smooth_part(n) == 1) {
        int64_t rest = n;
        while (rest % 4 == 0) { p->radix[p->nstages++] = 4; rest /= 4; }
        while (rest % 2 == 0) { p->radix[p->nstages++] = 2; rest /= 2; }
        while (rest % 3 == 0) { p->radix[p->nstages++] = 3; rest /= 3; }
        while (rest % 5 == 0) { p->radix[p->nstages++] = 5; rest /= 5; }
        p->tw = malloc(sizeof(double) * 2 * (size_t)n);
        if (!p->tw) goto fail;
        for (int64_t k = 0; k < n; ++k) {
            const double a = -2.0 * M_PI * (double)k / (double)n;
            p->tw[2 * k] = cos(a);
            p->tw[2 * k + 1] = sin(a);
        }
        if (!(p->twf = to_float(p->tw, 2 * n))) goto fail;
        p->work_len = n;
        return p;
    }
    int64_t m = 2 * n - 1;
    while (smooth_part(m) != 1) ++m;
    if (!(p->sub = plan_new(m))) goto fail;
    p->work_len = 2 * m;
    p->chirp = malloc(sizeof(double) * 2 * (size_t)n);
    p->bfft = calloc(2 * (size_t)m, sizeof(double));
    double *tmp = malloc(sizeof(double) * 2 * (size_t)m);
    if (!p->chirp || !p->bfft || !tmp) { free(tmp); goto fail; }
    for (int64_t k = 0; k < n; ++k) {
        /* k^2 mod 2n keeps the angle small and exact */
        const int64_t k2 = (int64_t)(((unsigned __int128)k * (unsigned __int128)k) % (2 * n));
        const double a = -M_PI * (double)k2 / (double)n;
        p->chirp[2 * k] = cos(a);
        p->chirp[2 * k + 1] = sin(a);
    }
    p->bfft[0] = 1.0 / (double)m;
    for (int64_t k = 1; k < n; ++k) { /* conj(c_k) at k and m - k, over m */
        p->bfft[2 * k] = p->bfft[2 * (m - k)] = p->chirp[2 * k] / (double)m;
        p->bfft[2 * k + 1] = p->bfft[2 * (m - k) + 1] = -p->chirp[2 * k + 1] / (double)m;
    }
    cpx_f64 *res = run_smooth_f64(p->sub, (cpx_f64 *)p->bfft, (cpx_f64 *)tmp);
    if ((double *)res == tmp) {
        free(p->bfft);
        p->bfft = tmp;
    } else {
        free(tmp);
    }
    if (!(p->chirpf = to_float(p->chirp, 2 * n)) || !(p->bfftf = to_float(p->bfft, 2 * m)))
        goto fail;
    return p;
fail:
    plan_free(p);
    return NULL;
}

/* The cache: plans live until exit; when it is full, a call builds a private plan. */
#define PLAN_CACHE 32
static fft_plan *cache[PLAN_CACHE];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static fft_plan *plan_get(int64_t n, int *owned) {
    *owned = 0;
    pthread_mutex_lock(&cache_lock);
    int i = 0;
    for (; i < PLAN_CACHE && cache[i]; ++i)
        if (cache[i]->n == n) {
            fft_plan *hit = cache[i];
            pthread_mutex_unlock(&cache_lock);
            return hit;
        }
    fft_plan *p = plan_new(n);
    if (p && i < PLAN_CACHE) cache[i] = p;
    else *owned = p != NULL;
    pthread_mutex_unlock(&cache_lock);
    return p;
}

int em_fft(int dtype, int64_t rows, int64_t n, const void *in, int64_t in_len, int in_kind,
           void *out, int64_t out_len, int out_real, int inverse, double scale) {
    if (rows < 0 || n < 1 || in_len < 0 || out_len < 0) return EM_EINVAL;
    if (in_kind < EM_FFT_IN_COMPLEX || in_kind > EM_FFT_IN_HERMITIAN) return EM_EINVAL;
    if (dtype != EM_F32 && dtype != EM_F64) return EM_EDTYPE;
    if (rows == 0 || out_len == 0) return EM_OK;
    int owned;
    /* real rows of even length run as complex rows of half the length */
    const int half = n % 2 == 0 &&
        ((in_kind == EM_FFT_IN_REAL && !out_real && out_len <= n / 2 + 1) ||
         (in_kind == EM_FFT_IN_HERMITIAN && inverse && out_real));
    fft_plan *p = plan_get(half ? n / 2 : n, &owned);
    if (!p) return EM_ENOMEM;
    const int st = half ? (dtype == EM_F64
        ? real_rows_f64(p, rows, in, in_len, in_kind, out, out_len, inverse, scale)
        : real_rows_f32(p, rows, in, in_len, in_kind, out, out_len, inverse, scale))
        : dtype == EM_F64
        ? fft_rows_f64(p, rows, in, in_len, in_kind, out, out_len, out_real, inverse, scale)
        : fft_rows_f32(p, rows, in, in_len, in_kind, out, out_len, out_real, inverse, scale);
    if (owned) plan_free(p);
    return st;
}
