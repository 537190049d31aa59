/* Dense linear algebra for ember.linalg: LU with partial pivoting (solve, inv, det,
 * slogdet), Cholesky, triangular solves, Householder QR and least squares, the SVD and
 * singular values (one-sided Jacobi), the symmetric eigendecomposition (cyclic Jacobi),
 * over batches of contiguous row-major float32/float64 matrices. The per-dtype code is
 * templates/linalg.inc; ember/ops/solve.py validates, copies and lays out the operands. */
#include <float.h>
#include <stdlib.h>
#include "em_internal.h"

#define EM_T EMT_F32
#include "templates/linalg.inc"
#define EM_T EMT_F64
#include "templates/linalg.inc"

int em_lu_factor(int dtype, int64_t batch, int64_t n, void *a, int64_t *piv, int64_t *info) {
    return em_lu_factor_rect(dtype, batch, n, n, a, piv, info);
}

int em_lu_factor_rect(int dtype, int64_t batch, int64_t m, int64_t n, void *a, int64_t *piv,
                      int64_t *info) {
    if (batch < 0 || m < 0 || n < 0 || !a || !piv || !info) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, lu_factor, batch, m, n, a, piv, info)
}

int em_lu_solve(int dtype, int64_t batch, int64_t n, int64_t k, const void *lu,
                const int64_t *piv, void *b) {
    if (batch < 0 || n < 0 || k < 0 || !lu || !piv || !b) return EM_EINVAL;
    for (int64_t i = 0; i < batch * n; ++i) /* a pivot row outside its matrix: refuse */
        if (piv[i] < 0 || piv[i] >= n) return EM_EINDEX;
    EM_FLOAT_SWITCH(dtype, lu_solve, batch, n, k, lu, piv, b)
}

int em_lu_det(int dtype, int64_t batch, int64_t n, const void *lu, const int64_t *piv,
              void *det, void *sign, void *logabsdet) {
    if (batch < 0 || n < 0 || !lu || !piv) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, lu_det, batch, n, lu, piv, det, sign, logabsdet)
}

int em_cholesky(int dtype, int64_t batch, int64_t n, void *a, int64_t *info) {
    if (batch < 0 || n < 0 || !a || !info) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, cholesky, batch, n, a, info)
}

int em_triangular_solve(int dtype, int64_t batch, int64_t n, int64_t k, const void *a,
                        void *b, int upper, int unit) {
    if (batch < 0 || n < 0 || k < 0 || !a || !b) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, triangular_solve, batch, n, k, a, b, upper, unit)
}

int em_lstsq(int dtype, int64_t batch, int64_t m, int64_t n, int64_t k, void *a, void *b,
             double rcond, int pivot, const int64_t *rank_in, int64_t *rank, void *residuals,
             int64_t *info) {
    if (batch < 0 || m < 0 || n < 0 || k < 0 || !a || !b || !rank || !info) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, lstsq, batch, m, n, k, a, b, rcond, pivot, rank_in, rank, residuals,
                 info)
}

int em_svdvals(int dtype, int64_t batch, int64_t p, int64_t q, void *a, void *s) {
    if (batch < 0 || p < 0 || q < p || !a || !s) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, svdvals, batch, p, q, a, s)
}

int em_svd(int dtype, int64_t batch, int64_t p, int64_t q, void *a, void *s, void *u, void *vt,
           int64_t vrows) {
    if (batch < 0 || p < 0 || q < p || vrows < p || vrows > q || !a || !s || !u || !vt)
        return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, svd, batch, p, q, a, s, u, vt, vrows)
}

int em_eigh(int dtype, int64_t batch, int64_t n, void *a, void *w, void *v) {
    if (batch < 0 || n < 0 || !a || !w) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, eigh, batch, n, a, w, v)
}

int em_qr(int dtype, int64_t batch, int64_t m, int64_t n, void *a, void *tau, void *q,
          int64_t qcols) {
    const int64_t k = m < n ? m : n;
    if (batch < 0 || m < 0 || n < 0 || !a || !tau || (q && (qcols < k || qcols > m)))
        return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, qr, batch, m, n, a, tau, q, q ? qcols : 0)
}

int em_orgqr(int dtype, int64_t batch, int64_t m, int64_t n, int64_t k, const void *a,
             const void *tau, void *q) {
    if (batch < 0 || m < 0 || n < 0 || n > m || k < 0 || k > n || !a || !tau || !q)
        return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, orgqr, batch, m, n, k, a, tau, q)
}

int em_ormqr(int dtype, int64_t batch, int64_t rows, int64_t acols, int64_t k, const void *a,
             const void *tau, void *c, int64_t cm, int64_t cn, int left, int trans) {
    if (batch < 0 || rows < 0 || acols < 0 || k < 0 || k > acols || k > rows || cm < 0 ||
        cn < 0 || rows != (left ? cm : cn) || !a || !tau || !c)
        return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, ormqr, batch, rows, acols, k, a, tau, c, cm, cn, left, trans)
}
