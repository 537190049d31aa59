/* The general (nonsymmetric) real eigenproblem for ember.linalg.eig and eigvals, over
 * batches of contiguous row-major float32/float64 matrices. Each matrix is copied into
 * double scratch (float32 inputs are solved in double and rounded at the end) and goes
 * through the three classical stages (Golub and Van Loan, ch. 7):
 *
 *   1. Householder reduction to upper Hessenberg form H = Q^T A Q, Q accumulated in Z;
 *   2. Francis double-shift QR sweeps on H's unreduced windows until every subdiagonal
 *      entry is negligible, leaving the real Schur form T = Z^T A Z: 1 x 1 blocks for
 *      real eigenvalues (a 2 x 2 block with real eigenvalues is split by a rotation) and
 *      2 x 2 blocks for complex conjugate pairs. A window that does not deflate within
 *      30 max(n, 10) sweeps stops the matrix with a nonzero info, as LAPACK's hseqr;
 *   3. the eigenvectors of T by back substitution, one eigenvalue at a time (complex
 *      arithmetic throughout; a pivot that vanishes, as for a repeated eigenvalue, is
 *      replaced by eps ||T||), mapped back by Z and scaled to unit 2-norm. The vector of
 *      a complex pair is also turned so that its largest component is real (LAPACK's
 *      geev normalization); its partner is the conjugate.
 *
 * Eigenvalues come out in the order of T's diagonal, a complex pair with the positive
 * imaginary part first, as geev's; w and v are interleaved complex (re, im) of the input's
 * precision, v's columns the eigenvectors. No balancing is done. */
#include <complex.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include "em_internal.h"

typedef double _Complex cplx;

#define H(i, j) h[(i) * n + (j)]

/* A reflector P = I - tau u u^T (u_0 = 1) with P x = (beta, 0, ..., 0) for x of length m
 * (m <= 3 here, or the Hessenberg column); u's tail overwrites x[1..]. */
static double reflector(double *x, int64_t m) {
    double scale = 0;
    for (int64_t i = 0; i < m; ++i) scale = fmax(scale, fabs(x[i]));
    double tail = 0;
    if (scale == 0) return 0;
    for (int64_t i = 1; i < m; ++i) tail += (x[i] / scale) * (x[i] / scale);
    if (tail == 0) return 0;
    const double alpha = x[0] / scale;
    const double beta = -copysign(sqrt(alpha * alpha + tail), alpha);
    const double inv = 1 / (alpha - beta);
    for (int64_t i = 1; i < m; ++i) x[i] = x[i] / scale * inv;
    x[0] = beta * scale;
    return (beta - alpha) / beta;
}

/* Stage 1: h (n x n) -> Q^T h Q upper Hessenberg; z = Q when z is given. u, w: n scratch. */
static void hessenberg(double *h, int64_t n, double *z, double *u, double *w) {
    for (int64_t k = 0; k + 2 < n; ++k) {
        const int64_t m = n - k - 1;
        for (int64_t i = 0; i < m; ++i) u[i] = H(k + 1 + i, k);
        const double tau = reflector(u, m);
        if (tau == 0) continue;
        const double beta = u[0];
        u[0] = 1;
        /* from the left on rows k+1.., columns k+1..: h -= tau u (u^T h) */
        for (int64_t c = k + 1; c < n; ++c) w[c] = 0;
        for (int64_t i = 0; i < m; ++i)
            for (int64_t c = k + 1; c < n; ++c) w[c] += u[i] * H(k + 1 + i, c);
        for (int64_t i = 0; i < m; ++i)
            for (int64_t c = k + 1; c < n; ++c) H(k + 1 + i, c) -= tau * u[i] * w[c];
        H(k + 1, k) = beta;
        for (int64_t i = 1; i < m; ++i) H(k + 1 + i, k) = 0;
        /* from the right on every row (and on z): x -= tau (x u) u^T */
        for (int pass = 0; pass < 2; ++pass) {
            double *g = pass ? z : h;
            if (!g) continue;
            for (int64_t r = 0; r < n; ++r) {
                double *row = g + r * n + k + 1, s = 0;
                for (int64_t i = 0; i < m; ++i) s += row[i] * u[i];
                s *= tau;
                for (int64_t i = 0; i < m; ++i) row[i] -= s * u[i];
            }
        }
    }
}

/* P = I - tau u u^T (u = [1, u1, u2], or [1, u1] when three is 0) applied to rows k..
 * from the left over columns c0..n-1, and from the right to columns k.. over rows 0..r1
 * of h and over every row of z. */
static void apply3(double *h, int64_t n, double *z, int64_t k, int three, double tau, double u1,
                   double u2, int64_t c0, int64_t r1) {
    if (tau == 0) return;
    for (int64_t c = c0; c < n; ++c) {
        double p = H(k, c) + u1 * H(k + 1, c) + (three ? u2 * H(k + 2, c) : 0);
        p *= tau;
        H(k, c) -= p;
        H(k + 1, c) -= p * u1;
        if (three) H(k + 2, c) -= p * u2;
    }
    for (int pass = 0; pass < 2; ++pass) {
        double *g = pass ? z : h;
        if (!g) continue;
        const int64_t rows = pass ? n - 1 : r1;
        for (int64_t r = 0; r <= rows; ++r) {
            double *x = g + r * n + k;
            double p = x[0] + u1 * x[1] + (three ? u2 * x[2] : 0);
            p *= tau;
            x[0] -= p;
            x[1] -= p * u1;
            if (three) x[2] -= p * u2;
        }
    }
}

/* One Francis double-shift sweep over the unreduced window l..hi (hi - l >= 2) with the
 * shifts the roots of x^2 - s x + t: the bulge of (H - r1)(H - r2) e_l is chased down. */
static void francis(double *h, int64_t n, double *z, int64_t l, int64_t hi, double s, double t) {
    double x[3];
    x[0] = H(l, l) * H(l, l) + H(l, l + 1) * H(l + 1, l) - s * H(l, l) + t;
    x[1] = H(l + 1, l) * (H(l, l) + H(l + 1, l + 1) - s);
    x[2] = H(l + 1, l) * H(l + 2, l + 1);
    for (int64_t k = l; k <= hi - 2; ++k) {
        const double tau = reflector(x, 3);
        apply3(h, n, z, k, 1, tau, x[1], x[2], k > l ? k - 1 : l, k + 3 < hi ? k + 3 : hi);
        if (k > l && tau != 0) {
            H(k, k - 1) = x[0];
            H(k + 1, k - 1) = H(k + 2, k - 1) = 0;
        }
        x[0] = H(k + 1, k);
        x[1] = H(k + 2, k);
        if (k < hi - 2) x[2] = H(k + 3, k);
    }
    const double tau = reflector(x, 2);
    apply3(h, n, z, hi - 1, 0, tau, x[1], 0, hi - 2, hi);
    if (tau != 0) {
        H(hi - 1, hi - 2) = x[0];
        H(hi, hi - 2) = 0;
    }
}

/* The converged 2 x 2 block at rows p, p+1: complex eigenvalues into wr, wi (positive
 * imaginary part first); real ones are split off by a rotation (of h's rows and columns
 * and z's columns) that makes the block upper triangular. */
static void block2(double *h, int64_t n, double *z, int64_t p, double *wr, double *wi) {
    const int64_t q = p + 1;
    const double a = H(p, p), b = H(p, q), c = H(q, p), d = H(q, q);
    const double mid = 0.5 * (a + d), hd = 0.5 * (a - d), disc = hd * hd + b * c;
    if (c != 0 && disc < 0) {
        const double im = sqrt(-disc);
        wr[p] = wr[q] = mid;
        wi[p] = im;
        wi[q] = -im;
        return;
    }
    if (c != 0) { /* (lambda - d, c) is an eigenvector of the block for lambda */
        const double u0 = hd + copysign(sqrt(disc), hd), u1 = c, r = hypot(u0, u1);
        const double cs = u0 / r, sn = u1 / r;
        for (int64_t j = p; j < n; ++j) {
            const double xp = H(p, j), xq = H(q, j);
            H(p, j) = cs * xp + sn * xq;
            H(q, j) = -sn * xp + cs * xq;
        }
        for (int pass = 0; pass < 2; ++pass) {
            double *g = pass ? z : h;
            if (!g) continue;
            const int64_t rows = pass ? n : q + 1;
            for (int64_t r0 = 0; r0 < rows; ++r0) {
                double *x = g + r0 * n + p;
                const double xp = x[0], xq = x[1];
                x[0] = cs * xp + sn * xq;
                x[1] = -sn * xp + cs * xq;
            }
        }
        H(q, p) = 0;
    }
    wr[p] = H(p, p);
    wr[q] = H(q, q);
    wi[p] = wi[q] = 0;
}

/* Stage 2: h (Hessenberg) -> real Schur form, z accumulating the transformations;
 * eigenvalues into wr, wi. Returns 0, or 1 + the last row whose eigenvalue did not
 * converge. */
static int64_t schur(double *h, int64_t n, double *z, double *wr, double *wi) {
    const double eps = DBL_EPSILON, tiny = DBL_MIN * ((double)n / DBL_EPSILON);
    double norm = 0;
    for (int64_t i = 0; i < n * n; ++i) norm = fmax(norm, fabs(h[i]));
    const int64_t itmax = 30 * (n > 10 ? n : 10);
    int64_t hi = n - 1, its = 0;
    while (hi >= 0) {
        int64_t l = hi;
        for (; l > 0; --l) { /* the lowest negligible subdiagonal entry at or above hi */
            double s = fabs(H(l - 1, l - 1)) + fabs(H(l, l));
            if (s == 0) s = norm;
            if (fabs(H(l, l - 1)) <= eps * s || fabs(H(l, l - 1)) <= tiny) {
                H(l, l - 1) = 0;
                break;
            }
        }
        if (l == hi) {
            wr[hi] = H(hi, hi);
            wi[hi] = 0;
            hi -= 1;
            its = 0;
            continue;
        }
        if (l == hi - 1) {
            block2(h, n, z, l, wr, wi);
            hi -= 2;
            its = 0;
            continue;
        }
        if (its >= itmax) return hi + 1;
        ++its;
        double s, t;
        if (its % 10 == 0) { /* an exceptional shift breaks a cycle (LAPACK's choice) */
            const double e = fabs(H(hi, hi - 1)) + fabs(H(hi - 1, hi - 2));
            const double h11 = 0.75 * e + H(hi, hi), h12 = -0.4375 * e;
            s = 2 * h11;
            t = h11 * h11 - h12 * e;
        } else {
            s = H(hi - 1, hi - 1) + H(hi, hi);
            t = H(hi - 1, hi - 1) * H(hi, hi) - H(hi - 1, hi) * H(hi, hi - 1);
        }
        francis(h, n, z, l, hi, s, t);
    }
    return 0;
}

/* Stage 3: v (n x n complex, columns) = the unit eigenvectors of A = z T z^T from the Schur
 * form h = T and z. x: n complex scratch. */
static void vectors(const double *h, int64_t n, const double *z, const double *wr,
                    const double *wi, cplx *v, cplx *x) {
    double norm = 0;
    for (int64_t i = 0; i < n * n; ++i) norm = fmax(norm, fabs(h[i]));
    const double small = norm > 0 ? DBL_EPSILON * norm : DBL_MIN, big = 1e150;
    for (int64_t k = 0; k < n; ++k) {
        if (wi[k] < 0) continue; /* the conjugate of the vector before it */
        const cplx lam = wr[k] + I * wi[k];
        const int pair = wi[k] > 0;
        const int64_t top = k + pair;
        for (int64_t i = 0; i < n; ++i) x[i] = 0;
        if (pair) { /* the block's own null vector, from its better-scaled row */
            const double a = H(k, k), b = H(k, k + 1), c = H(k + 1, k), d = H(k + 1, k + 1);
            if (fabs(b) >= fabs(c)) {
                x[k] = b;
                x[k + 1] = lam - a;
            } else {
                x[k] = lam - d;
                x[k + 1] = c;
            }
        } else {
            x[k] = 1;
        }
        for (int64_t i = k - 1; i >= 0; --i) {
            cplx r1 = 0, r2 = 0;
            const int two = i > 0 && wi[i] < 0; /* rows i-1, i: a complex pair's block */
            for (int64_t j = i + 1; j <= top; ++j) {
                r2 -= H(i, j) * x[j];
                if (two) r1 -= H(i - 1, j) * x[j];
            }
            if (two) {
                const cplx a11 = H(i - 1, i - 1) - lam, a12 = H(i - 1, i), a21 = H(i, i - 1),
                           a22 = H(i, i) - lam;
                cplx det = a11 * a22 - a12 * a21;
                const double fl =
                    small * (cabs(a11) + cabs(a12) + cabs(a21) + cabs(a22) + small);
                if (cabs(det) < fl) det = fl;
                x[i - 1] = (r1 * a22 - a12 * r2) / det;
                x[i] = (a11 * r2 - a21 * r1) / det;
            } else {
                cplx piv = H(i, i) - lam;
                if (cabs(piv) < small) piv = small;
                x[i] = r2 / piv;
            }
            double m = cabs(x[i]);
            if (two) m = fmax(m, cabs(x[i - 1]));
            if (m > big) /* keep the growing solution representable */
                for (int64_t j = 0; j <= top; ++j) x[j] /= m;
            if (two) --i;
        }
        double nrm2 = 0, best = -1;
        int64_t at = 0;
        for (int64_t r = 0; r < n; ++r) {
            cplx s = 0;
            for (int64_t j = 0; j <= top; ++j) s += z[r * n + j] * x[j];
            v[r * n + k] = s;
            const double m2 = creal(s) * creal(s) + cimag(s) * cimag(s);
            nrm2 += m2;
            if (m2 > best) best = m2, at = r;
        }
        cplx scale = 1 / sqrt(nrm2);
        if (pair) scale *= conj(v[at * n + k]) / cabs(v[at * n + k]);
        for (int64_t r = 0; r < n; ++r) {
            v[r * n + k] *= scale;
            if (pair) {
                if (r == at) v[r * n + k] = creal(v[r * n + k]);
                v[r * n + k + 1] = conj(v[r * n + k]);
            }
        }
    }
}

/* One matrix in double: h (n x n, destroyed) -> wr, wi (n) and v (n x n, or NULL); z:
 * n x n scratch when v is given. Returns the info. A matrix with a non-finite entry gets
 * NaN eigenvalues and vectors and info 0 (torch's eigvals returns NaN there). */
static int64_t eig_one(double *h, int64_t n, double *z, double *wr, double *wi, cplx *v,
                       cplx *x) {
    for (int64_t i = 0; i < n * n; ++i)
        if (!isfinite(h[i])) {
            for (int64_t j = 0; j < n; ++j) wr[j] = wi[j] = NAN;
            if (v)
                for (int64_t j = 0; j < n * n; ++j) v[j] = NAN;
            return 0;
        }
    if (z)
        for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < n; ++j) z[i * n + j] = i == j;
    hessenberg(h, n, z, wr, wi);
    const int64_t info = schur(h, n, z, wr, wi);
    if (!info && v) vectors(h, n, z, wr, wi, v, x);
    return info;
}

#define EM_EIG_DTYPE(S, SFX)                                                                \
    static int eig##SFX(int64_t batch, int64_t n, const S *a, S *w, S *v, int64_t *info) {  \
        int status = EM_OK;                                                                 \
        EM_PARALLEL_FOR(batch > 1 && (double)batch * n * n * n > EM_PAR_THRESHOLD,          \
        for (int64_t b = 0; b < batch; ++b) {                                               \
            const size_t nn = (size_t)(n * n);                                              \
            double *buf = malloc(sizeof(double) * (2 * nn + 2 * (size_t)n) + 1);            \
            cplx *cbuf = v ? malloc(sizeof(cplx) * (nn + (size_t)n) + 1) : 0;               \
            if (!buf || (v && !cbuf)) {                                                     \
                free(buf);                                                                  \
                free(cbuf);                                                                 \
                _Pragma("omp atomic write")                                                 \
                status = EM_ENOMEM;                                                         \
                continue;                                                                   \
            }                                                                               \
            double *h = buf, *z = v ? buf + nn : 0, *wr = buf + 2 * nn, *wi = wr + n;       \
            for (size_t i = 0; i < nn; ++i) h[i] = a[b * nn + i];                           \
            info[b] = eig_one(h, n, z, wr, wi, cbuf, cbuf ? cbuf + nn : 0);                 \
            for (int64_t i = 0; i < n; ++i) {                                               \
                w[2 * (b * n + i)] = (S)wr[i];                                              \
                w[2 * (b * n + i) + 1] = (S)wi[i];                                          \
            }                                                                               \
            if (v)                                                                          \
                for (size_t i = 0; i < nn; ++i) {                                           \
                    v[2 * (b * nn + i)] = info[b] ? (S)NAN : (S)creal(cbuf[i]);             \
                    v[2 * (b * nn + i) + 1] = info[b] ? (S)NAN : (S)cimag(cbuf[i]);         \
                }                                                                           \
            free(buf);                                                                      \
            free(cbuf);                                                                     \
        });                                                                                 \
        return status;                                                                      \
    }

EM_EIG_DTYPE(float, _f32)
EM_EIG_DTYPE(double, _f64)

int em_eig(int dtype, int64_t batch, int64_t n, const void *a, void *w, void *v, int64_t *info) {
    if (batch < 0 || n < 0 || !a || !w || !info) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, eig, batch, n, a, w, v, info)
}
