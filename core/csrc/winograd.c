/* Winograd F(2x2, 3x3) for float32 3x3 convolutions with stride 1 (em_conv2d_winograd).
 *
 * Each 2x2 block of outputs ("tile") comes from a 4x4 input patch d and a 3x3 filter g as
 * A^T [(G g G^T) .* (B^T d B)] A. Summed over input channels, the elementwise product
 * becomes 16 GEMMs, U[xi] (OC x C) @ V[xi] (C x tiles), with 16 multiplies per tile and
 * channel pair instead of im2col's 36: 2.25x fewer flops in the GEMMs, for a few adds in
 * the transforms. Tiles run in blocks small enough that a block's V and M stay in cache;
 * blocks go to threads whole, and each GEMM runs single-threaded (gemm.c's BLAS hold).
 *
 * The adjoint form computes the input gradient of a stride-1 convolution, which is a
 * stride-1 convolution of the output gradient with the filters flipped and transposed:
 * the filter transform reads them that way, and no flipped copy is made. */
#include <string.h>

#include "em_internal.h"

/* U[xi][o][i] = (G g G^T)[xi] of filter (o, i); adjoint reads w as (C, OC, 3, 3) flipped. */
static void transform_filters(const float *w, float *U, int64_t OC, int64_t C, int adjoint) {
    EM_PARALLEL_FOR(OC * C > 4096,
    for (int64_t q = 0; q < OC * C; ++q) {
        const int64_t o = q / C, i = q % C;
        float g[3][3], t[4][3];
        for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx)
                g[ky][kx] = adjoint ? w[((i * OC + o) * 3 + 2 - ky) * 3 + 2 - kx]
                                    : w[((o * C + i) * 3 + ky) * 3 + kx];
        for (int j = 0; j < 3; ++j) {
            t[0][j] = g[0][j];
            t[1][j] = 0.5f * (g[0][j] + g[1][j] + g[2][j]);
            t[2][j] = 0.5f * (g[0][j] - g[1][j] + g[2][j]);
            t[3][j] = g[2][j];
        }
        for (int r = 0; r < 4; ++r) {
            const float u[4] = {t[r][0], 0.5f * (t[r][0] + t[r][1] + t[r][2]),
                                0.5f * (t[r][0] - t[r][1] + t[r][2]), t[r][2]};
            for (int c = 0; c < 4; ++c) U[((r * 4 + c) * OC + o) * C + i] = u[c];
        }
    });
}

/* From one xi's (rows x block) matrix to the next: 16 floats more than the matrix, so that
 * the 16 streams a transform reads or writes fall in different cache sets (a power-of-two
 * stride put them all in one set, and the transforms took longer than the GEMMs). */
#define WINO_STRIDE(rows, block) ((rows) * (block) + 16)

/* The block's tiles come in runs: consecutive tiles of one tile row of one sample, whose
 * patches overlap by two columns. Each run's four input rows are split into even and odd
 * columns first, so that the transforms below read and write every stream with unit
 * stride across the run's tiles and vectorize. */
typedef struct {
    int64_t first, n_tiles, tiles_w, per_sample;
} wino_block;

static int64_t run_at(const wino_block *b, int64_t j, int64_t *sample, int64_t *tile_row,
                      int64_t *tile_col) {
    const int64_t p = b->first + j, r = p % b->per_sample;
    *sample = p / b->per_sample;
    *tile_row = r / b->tiles_w;
    *tile_col = r % b->tiles_w;
    const int64_t rest = b->tiles_w - *tile_col;
    return rest < b->n_tiles - j ? rest : b->n_tiles - j;
}

/* V[xi][c][j] = (B^T d B)[xi] for the block's tiles j; split holds 8 x (tiles_w + 1). */
EM_HOT static void transform_inputs(const float *x, float *restrict V, const wino_block *b, int64_t C,
                             int64_t H, int64_t W, int64_t ph, int64_t pw, int64_t ld,
                             int64_t xs, float *restrict split) {
    for (int64_t j = 0; j < b->n_tiles;) {
        int64_t n, tr, tc;
        const int64_t len = run_at(b, j, &n, &tr, &tc), y0 = 2 * tr - ph, x0 = 2 * tc - pw;
        const int64_t span = len + 1;
        const int inside = x0 >= 0 && x0 + 2 * len + 2 <= W;
        for (int64_t c = 0; c < C; ++c) {
            const float *plane = x + (n * C + c) * H * W;
            float *even = split, *odd = split + 4 * span;
            for (int r = 0; r < 4; ++r) {
                float *e = even + r * span, *o = odd + r * span;
                const int64_t yy = y0 + r;
                if (yy < 0 || yy >= H) {
                    memset(e, 0, span * sizeof(float));
                    memset(o, 0, span * sizeof(float));
                    continue;
                }
                const float *src = plane + yy * W + x0;
                if (inside) {
                    for (int64_t k = 0; k < span; ++k) e[k] = src[2 * k], o[k] = src[2 * k + 1];
                } else {
                    for (int64_t k = 0; k < span; ++k) {
                        const int64_t xe = x0 + 2 * k, xo = xe + 1;
                        e[k] = xe >= 0 && xe < W ? src[2 * k] : 0;
                        o[k] = xo >= 0 && xo < W ? src[2 * k + 1] : 0;
                    }
                }
            }
            float *v = V + c * ld + j;
            EM_PRAGMA(omp simd)
            for (int64_t k = 0; k < len; ++k) {
                /* B^T d down each column (s = 0..3 from even, odd, even + 1, odd + 1) */
#define WINO_COLUMN(T, col, at)                                                           \
    const float T##0 = col[at] - col[2 * span + at], T##1 = col[span + at] + col[2 * span + at], \
                T##2 = col[2 * span + at] - col[span + at],                                  \
                T##3 = col[span + at] - col[3 * span + at];
                WINO_COLUMN(P, even, k)
                WINO_COLUMN(Q, odd, k)
                WINO_COLUMN(R, even, k + 1)
                WINO_COLUMN(T, odd, k + 1)
#undef WINO_COLUMN
                /* then B along each row r */
#define WINO_ROW(r)                                                                      \
    v[(4 * r) * xs + k] = P##r - R##r;                                                   \
    v[(4 * r + 1) * xs + k] = Q##r + R##r;                                               \
    v[(4 * r + 2) * xs + k] = R##r - Q##r;                                               \
    v[(4 * r + 3) * xs + k] = Q##r - T##r;
                WINO_ROW(0) WINO_ROW(1) WINO_ROW(2) WINO_ROW(3)
#undef WINO_ROW
            }
        }
        j += len;
    }
}

/* A^T m A for tile k: the two output rows' sums a0 (s = 0..3) and a1 from its 16 products
 * m[xi * xs + k], then y0 = (y00, y01) and y1 = (y10, y11). */
#define WINO_OUTPUT(m, xs, k)                                                            \
    const float a00 = m[k] + m[4 * xs + k] + m[8 * xs + k],                              \
                a01 = m[xs + k] + m[5 * xs + k] + m[9 * xs + k],                         \
                a02 = m[2 * xs + k] + m[6 * xs + k] + m[10 * xs + k],                    \
                a03 = m[3 * xs + k] + m[7 * xs + k] + m[11 * xs + k],                    \
                a10 = m[4 * xs + k] - m[8 * xs + k] - m[12 * xs + k],                    \
                a11 = m[5 * xs + k] - m[9 * xs + k] - m[13 * xs + k],                    \
                a12 = m[6 * xs + k] - m[10 * xs + k] - m[14 * xs + k],                   \
                a13 = m[7 * xs + k] - m[11 * xs + k] - m[15 * xs + k];                   \
    const float y00 = a00 + a01 + a02, y01 = a01 - a02 - a03, y10 = a10 + a11 + a12,     \
                y11 = a11 - a12 - a13;

/* y's 2x2 tiles = A^T m A from M[xi][o][j], clipped at the bottom and right edges. */
EM_HOT static void transform_outputs(const float *restrict M, float *restrict y, const wino_block *b,
                              int64_t OC, int64_t OH, int64_t OW, int64_t ld, int64_t xs) {
    for (int64_t j = 0; j < b->n_tiles;) {
        int64_t n, tr, tc;
        const int64_t len = run_at(b, j, &n, &tr, &tc);
        const int64_t oy = 2 * tr, ox = 2 * tc, down = oy + 1 < OH;
        const int64_t whole = ox + 2 * len <= OW ? len : len - 1; /* odd OW clips the last */
        for (int64_t o = 0; o < OC; ++o) {
            const float *m = M + o * ld + j;
            float *out = y + (n * OC + o) * OH * OW + oy * OW + ox;
            if (down) {
                EM_PRAGMA(omp simd)
                for (int64_t k = 0; k < whole; ++k) {
                    WINO_OUTPUT(m, xs, k)
                    out[2 * k] = y00;
                    out[2 * k + 1] = y01;
                    out[OW + 2 * k] = y10;
                    out[OW + 2 * k + 1] = y11;
                }
            } else {
                EM_PRAGMA(omp simd)
                for (int64_t k = 0; k < whole; ++k) {
                    WINO_OUTPUT(m, xs, k)
                    (void)y10, (void)y11;
                    out[2 * k] = y00;
                    out[2 * k + 1] = y01;
                }
            }
            if (whole < len) {
                WINO_OUTPUT(m, xs, whole)
                (void)y01, (void)y11;
                out[2 * whole] = y00;
                if (down) out[OW + 2 * whole] = y10;
            }
        }
        j += len;
    }
}

/* One thread's share: blocks t, t + nt, ... of `block` tiles each. */
static void winograd_blocks(const float *x, const float *U, float *y, int64_t N, int64_t C,
                            int64_t H, int64_t W, int64_t OC, int64_t ph, int64_t pw,
                            int64_t OH, int64_t OW, int64_t block, float *V, float *M,
                            float *split, int64_t t, int64_t nt) {
    const int64_t tiles_w = (OW + 1) / 2, per_sample = (OH + 1) / 2 * tiles_w;
    const int64_t total = N * per_sample, n_blocks = (total + block - 1) / block;
    for (int64_t i = t; i < n_blocks; i += nt) {
        const int64_t first = i * block;
        const wino_block b = {first, first + block <= total ? block : total - first, tiles_w,
                              per_sample};
        transform_inputs(x, V, &b, C, H, W, ph, pw, block, WINO_STRIDE(C, block), split);
        for (int xi = 0; xi < 16; ++xi)
            em_blas_gemm_f32(EM_NO_TRANS, EM_NO_TRANS, OC, b.n_tiles, C, 1, U + xi * OC * C, C,
                             V + xi * WINO_STRIDE(C, block), block, 0,
                             M + xi * WINO_STRIDE(OC, block), block);
        transform_outputs(M, y, &b, OC, OH, OW, block, WINO_STRIDE(OC, block));
    }
}

int em_conv2d_winograd(const void *xv, const void *wv, void *yv, int64_t N, int64_t C,
                       int64_t H, int64_t W, int64_t OC, int64_t ph, int64_t pw, int64_t OH,
                       int64_t OW, int adjoint, int64_t block, void *scratch_v,
                       int64_t scratch_len, int slices) {
    const float *x = xv, *w = wv;
    float *y = yv, *scratch = scratch_v;
    if (!x || !w || !y || !scratch || N < 0 || C < 1 || OC < 1 || H < 1 || W < 1 || ph < 0 ||
        pw < 0 || ph > 2 || pw > 2 || OH != H + 2 * ph - 2 || OW != W + 2 * pw - 2 || OH < 1 ||
        OW < 1 || block < 1 || slices < 1 || !em_blas_ready())
        return EM_EINVAL;
    const int64_t V_len = 16 * WINO_STRIDE(C, block), M_len = 16 * WINO_STRIDE(OC, block);
    const int64_t slice = V_len + M_len + 8 * ((OW + 1) / 2 + 1);
    if (scratch_len < 16 * OC * C + slices * slice) return EM_EINVAL;
    float *U = scratch, *work = scratch + 16 * OC * C;
    transform_filters(w, U, OC, C, adjoint);
    if (slices == 1) { /* one slice: no team to start */
        winograd_blocks(x, U, y, N, C, H, W, OC, ph, pw, OH, OW, block, work, work + V_len,
                        work + V_len + M_len, 0, 1);
        return EM_OK;
    }
#pragma omp parallel num_threads(slices)
    {
        int64_t t = 0, nt = 1;
#ifdef _OPENMP
        t = omp_get_thread_num();
        nt = omp_get_num_threads();
#endif
        float *V = work + t * slice;
        winograd_blocks(x, U, y, N, C, H, W, OC, ph, pw, OH, OW, block, V, V + V_len,
                        V + V_len + M_len, t, nt);
    }
    return EM_OK;
}
