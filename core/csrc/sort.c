/* Sorting: stable merge sort per row; per-dtype code in templates/sort.inc. */
#include <stdlib.h>
#include "em_internal.h"

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
