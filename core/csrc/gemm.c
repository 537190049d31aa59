/* Matrix products for matmul and conv: each product is one call into the BLAS that NumPy
 * loaded (OpenBLAS, held to one thread by backends/blas.py), and OpenMP runs those calls
 * side by side: the matrices of a batch, or column (row) blocks of a single product.
 * OpenBLAS's own pool spins after each call and starved our OpenMP threads on shared
 * cores; Python threads around NumPy's matmul cost 30-90 us per split, more than a
 * 64x256x128 product takes on one core. */
#include "em_internal.h"

/* Narrower blocks leave OpenBLAS's micro-kernel (up to 16 wide) running ragged edges. */
#define EM_GEMM_MIN_BLOCK 32
#define EM_GEMM_ROW_SHARE 128

static em_sgemm_fn em_sgemm;
static em_dgemm_fn em_dgemm;

int em_gemm_use_blas(em_sgemm_fn sgemm, em_dgemm_fn dgemm) {
    if (!sgemm || !dgemm) return EM_EINVAL;
    em_sgemm = sgemm;
    em_dgemm = dgemm;
    return EM_OK;
}

int em_blas_ready(void) { return em_sgemm != 0; }

void em_blas_gemm_f32(int ta, int tb, int64_t n, int64_t m, int64_t k, float alpha,
                      const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                      float *c, int64_t ldc) {
    em_sgemm(EM_ROW_MAJOR, ta, tb, n, m, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void em_blas_gemm_f64(int ta, int tb, int64_t n, int64_t m, int64_t k, double alpha,
                      const double *a, int64_t lda, const double *b, int64_t ldb, double beta,
                      double *c, int64_t ldc) {
    em_dgemm(EM_ROW_MAJOR, ta, tb, n, m, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* BLAS reads a rows x cols matrix with unit stride along one dim and a leading dimension
 * at least the other extent: row-major, or transposed when the unit stride runs down the
 * rows. A size-1 dim's stride is never read. Returns the CBLAS flag (row-major preferred)
 * and sets *ld, or returns 0 when BLAS cannot read the matrix in place. */
static int em_blas_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs, int64_t *ld) {
    if ((cols == 1 || cs == 1) && (rows == 1 || rs >= cols)) {
        *ld = rows == 1 ? (cols > 1 ? cols : 1) : rs;
        return EM_NO_TRANS;
    }
    if ((rows == 1 || rs == 1) && (cols == 1 || cs >= rows)) {
        *ld = cols == 1 ? (rows > 1 ? rows : 1) : cs;
        return EM_TRANS;
    }
    return 0;
}

typedef struct {
    int nb;                     /* batch dims: shape[0..nb) */
    const int64_t *shape;       /* batch dims, then n, k, m */
    const int64_t *ast, *bst, *cst; /* batch strides (elements) */
    int ta, tb;
    int64_t lda, ldb, ldc;
    int64_t a_row, b_col;       /* a's stride along n, b's along m */
    int64_t split;              /* blocks per product */
    int along_m;                /* blocks of columns (else of rows) */
} em_gemm_plan;

/* Item t of the plan: block t % split of product t / split. */
#define EM_GEMM_ITEM(T, gemm)                                                            \
    static void em_gemm_item_##T(const em_gemm_plan *p, const T *a, const T *b, T *c,    \
                                 int64_t t) {                                            \
        int64_t oa, ob, oc;                                                              \
        em_row_offsets(t / p->split, p->nb + 1, p->shape, p->ast, p->bst, p->cst, &oa,   \
                       &ob, &oc);                                                        \
        int64_t n = p->shape[p->nb], k = p->shape[p->nb + 1], m = p->shape[p->nb + 2];   \
        const int64_t part = t % p->split, extent = p->along_m ? m : n;                  \
        const int64_t lo = extent * part / p->split, hi = extent * (part + 1) / p->split;\
        if (p->along_m) {                                                                \
            ob += lo * p->b_col;                                                         \
            oc += lo;                                                                    \
            m = hi - lo;                                                                 \
        } else {                                                                         \
            oa += lo * p->a_row;                                                         \
            oc += lo * p->ldc;                                                           \
            n = hi - lo;                                                                 \
        }                                                                                \
        if (k == 0) { /* BLAS may leave C alone when there is nothing to sum */          \
            for (int64_t i = 0; i < n; ++i) memset(c + oc + i * p->ldc, 0, m * sizeof(T)); \
            return;                                                                      \
        }                                                                                \
        gemm(EM_ROW_MAJOR, p->ta, p->tb, n, m, k, 1, a + oa, p->lda, b + ob, p->ldb, 0,  \
             c + oc, p->ldc);                                                            \
    }
EM_GEMM_ITEM(float, em_sgemm)
EM_GEMM_ITEM(double, em_dgemm)

int em_gemm(int dtype, int ndim, const int64_t *shape, const void *a, const int64_t *a_strides,
            const void *b, const int64_t *b_strides, void *c, const int64_t *c_strides) {
    if (ndim < 3 || em_check_dims(ndim, shape)) return EM_EINVAL;
    if (dtype != EM_F32 && dtype != EM_F64) return EM_EDTYPE;
    if (!em_blas_ready()) return EM_EINVAL;
    const int nb = ndim - 3;
    const int64_t n = shape[nb], k = shape[nb + 1], m = shape[nb + 2];
    const int64_t count = em_numel(nb, shape);
    if (count == 0 || n == 0 || m == 0) return EM_OK;
    em_gemm_plan p = {nb, shape, a_strides, b_strides, c_strides};
    p.ta = p.tb = EM_NO_TRANS; /* with k == 0 a and b are never read */
    p.lda = p.ldb = 1;
    if (k > 0) {
        p.ta = em_blas_layout(n, k, a_strides[nb], a_strides[nb + 1], &p.lda);
        p.tb = em_blas_layout(k, m, b_strides[nb], b_strides[nb + 1], &p.ldb);
    }
    if (!p.ta || !p.tb || em_blas_layout(n, m, c_strides[nb], c_strides[nb + 1], &p.ldc) !=
                              EM_NO_TRANS)
        return EM_EINVAL;
    p.a_row = p.ta == EM_NO_TRANS ? p.lda : 1;
    p.b_col = p.tb == EM_NO_TRANS ? 1 : p.ldb;
    p.split = 1;
    int threads = em_get_num_threads();
    /* Blocks of rows unless that leaves each thread fewer than EM_GEMM_ROW_SHARE rows and the
     * output is at least as wide as tall. Measured, two threads on one product: a row split
     * takes 0.70-0.85x the column split's time for 256-2048 rows (512x64 @ 64x512, the
     * weight gradient of a batch-64 Linear: 266 -> 213 us), a column split 0.87-0.95x the
     * row split's for 32-128 rows. */
    p.along_m = m >= n && n < (int64_t)EM_GEMM_ROW_SHARE * threads;
    const int parallel = threads > 1 && 2.0 * n * k * m * count >= EM_GEMM_PAR_FLOPS;
    if (parallel && count < threads) {
        const int64_t blocks = (p.along_m ? m : n) / EM_GEMM_MIN_BLOCK;
        p.split = blocks < threads ? (blocks > 1 ? blocks : 1) : threads;
    }
    const int64_t items = count * p.split;
    if (dtype == EM_F32) {
        EM_PARALLEL_FOR(parallel && items > 1,
        for (int64_t t = 0; t < items; ++t) em_gemm_item_float(&p, a, b, c, t););
    } else {
        EM_PARALLEL_FOR(parallel && items > 1,
        for (int64_t t = 0; t < items; ++t) em_gemm_item_double(&p, a, b, c, t););
    }
    return EM_OK;
}
