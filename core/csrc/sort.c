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
