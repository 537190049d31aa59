/* Sorting: stable merge sort per row; per-dtype code in templates/sort.inc. */
#include <stdlib.h>
#include "em_internal.h"

#define EM_T EMT_F32
#include "templates/sort.inc"
#define EM_T EMT_F64
#include "templates/sort.inc"
#define EM_T EMT_F16
#include "templates/sort.inc"
#define EM_T EMT_BF16
#include "templates/sort.inc"
#define EM_T EMT_I8
#include "templates/sort.inc"
#define EM_T EMT_I16
#include "templates/sort.inc"
#define EM_T EMT_I32
#include "templates/sort.inc"
#define EM_T EMT_I64
#include "templates/sort.inc"
#define EM_T EMT_U8
#include "templates/sort.inc"
#define EM_T EMT_BOOL
#include "templates/sort.inc"

int em_sort(int dtype, int64_t rows, int64_t n, int descending, const void *x, void *values,
            int64_t *indices) {
    if (rows < 0 || n < 0 || !indices) return EM_EINVAL;
    EM_DTYPE_SWITCH(dtype, emk_sort, rows, n, descending, x, values, indices)
}
