/* Sorting: per row, a stable LSD radix sort of order-preserving integer keys, or a merge
 * sort for short rows; per-dtype code in templates/sort.inc. */
#include <stdlib.h>
#include "em_internal.h"

/* Stable LSD radix sort of (key, idx) pairs by unsigned key, 8 bits a pass. All eight
 * byte histograms come from one read; a pass whose byte is the same in every key is
 * skipped, so keys of a small range (most integer data) take one or two passes. */
static int radix_sort_pairs(uint64_t *key, int64_t *idx, int64_t n) {
    uint64_t *key2 = malloc((size_t)n * sizeof(uint64_t));
    int64_t *idx2 = malloc((size_t)n * sizeof(int64_t));
    int64_t (*count)[256] = calloc(8, sizeof *count);
    if (!key2 || !idx2 || !count) {
        free(key2), free(idx2), free(count);
        return EM_ENOMEM;
    }
    for (int64_t i = 0; i < n; ++i)
        for (int b = 0; b < 8; ++b) ++count[b][(key[i] >> (8 * b)) & 255];
    uint64_t *ka = key, *kb = key2;
    int64_t *ia = idx, *ib = idx2;
    for (int b = 0; b < 8; ++b) {
        int64_t *c = count[b];
        if (c[(ka[0] >> (8 * b)) & 255] == n) continue;
        int64_t at = 0;
        for (int v = 0; v < 256; ++v) {
            int64_t k = c[v];
            c[v] = at;
            at += k;
        }
        for (int64_t i = 0; i < n; ++i) {
            int64_t to = c[(ka[i] >> (8 * b)) & 255]++;
            kb[to] = ka[i];
            ib[to] = ia[i];
        }
        uint64_t *kt = ka; ka = kb; kb = kt;
        int64_t *it = ia; ia = ib; ib = it;
    }
    if (ia != idx) memcpy(idx, ia, (size_t)n * sizeof(int64_t));
    free(key2), free(idx2), free(count);
    return EM_OK;
}

#define EM_TEMPLATE "templates/sort.inc"
#include "templates/all_dtypes.h"

int em_sort(int dtype, int64_t rows, int64_t n, int descending, const void *x, void *values,
            int64_t *indices) {
    if (rows < 0 || n < 0 || !indices) return EM_EINVAL;
    EM_DTYPE_SWITCH(dtype, emk_sort, rows, n, descending, x, values, indices)
}

int em_searchsorted(int dtype, const void *seq, int64_t seq_rows, int64_t n, const void *values,
                    int64_t rows, int64_t m, int right, int64_t *out) {
    if (!seq || !values || !out || n < 0 || m < 0 || rows < 0 || seq_rows < 1 ||
        (seq_rows != 1 && seq_rows != rows))
        return EM_EINVAL;
    EM_DTYPE_SWITCH(dtype, emk_searchsorted, seq, seq_rows, n, values, rows, m, right, out)
}
