/* Gather and scatter through element offsets. Python turns every indexing form
 * (advanced indexing, gather, scatter, index_select, masked ops, take, put) into
 * one int64 offset per element; here every offset is checked against the storage
 * before any memory is touched. */
#include "em_internal.h"

#define EM_TEMPLATE "templates/index.inc"
#include "templates/all_dtypes.h"

static const int em_item[10] = {4, 8, 2, 2, 1, 2, 4, 8, 1, 1};

static int em_offsets_in_bounds(const int64_t *off, int64_t n, int64_t limit) {
    int bad = 0;
    if (n > EM_PAR_THRESHOLD) {
        EM_PRAGMA(omp parallel for reduction(| : bad))
        for (int64_t i = 0; i < n; ++i) bad |= (off[i] < 0) | (off[i] >= limit);
    } else {
        for (int64_t i = 0; i < n; ++i) bad |= (off[i] < 0) | (off[i] >= limit);
    }
    return !bad;
}

#define EM_GATHER(T)                                                          \
    EM_FLAT_LOOP(n, ((T *)out)[i_] = ((const T *)base)[offsets[i_]])
#define EM_SCATTER(T)                                                         \
    for (int64_t i_ = 0; i_ < n; ++i_) ((T *)base)[offsets[i_]] = ((const T *)values)[i_]

int em_take(int dtype, const void *base, int64_t storage_numel, const int64_t *offsets,
            int64_t n, void *out) {
    if ((unsigned)dtype > EM_BOOL || n < 0) return EM_EINVAL;
    if (!em_offsets_in_bounds(offsets, n, storage_numel)) return EM_EINDEX;
    switch (em_item[dtype]) {
    case 1: EM_GATHER(uint8_t); break;
    case 2: EM_GATHER(uint16_t); break;
    case 4: EM_GATHER(uint32_t); break;
    default: EM_GATHER(uint64_t); break;
    }
    return EM_OK;
}

/* Without accumulation the last write to a repeated offset wins, as in torch's
 * deterministic mode; so this loop stays serial. */
int em_put(int dtype, void *base, int64_t storage_numel, const int64_t *offsets, int64_t n,
           const void *values, int accumulate) {
    if ((unsigned)dtype > EM_BOOL || n < 0) return EM_EINVAL;
    if (!em_offsets_in_bounds(offsets, n, storage_numel)) return EM_EINDEX;
    if (accumulate) EM_DTYPE_SWITCH(dtype, emk_put_add, base, offsets, n, values)
    switch (em_item[dtype]) {
    case 1: EM_SCATTER(uint8_t); break;
    case 2: EM_SCATTER(uint16_t); break;
    case 4: EM_SCATTER(uint32_t); break;
    default: EM_SCATTER(uint64_t); break;
    }
    return EM_OK;
}

int em_scatter_reduce(int dtype, int op, void *base, int64_t storage_numel,
                      const int64_t *offsets, int64_t n, const void *values) {
    if ((unsigned)dtype > EM_BOOL || (unsigned)op > 2 || n < 0) return EM_EINVAL;
    if (!em_offsets_in_bounds(offsets, n, storage_numel)) return EM_EINDEX;
    EM_DTYPE_SWITCH(dtype, emk_scatter_reduce, op, base, offsets, n, values)
}

/* Checks user indices against a dim of `size` (negatives already wrapped by the
 * caller are not accepted here); reports the first bad one. */
int em_check_index(const int64_t *idx, int64_t n, int64_t size, int64_t *bad) {
    for (int64_t i = 0; i < n; ++i)
        if (idx[i] < 0 || idx[i] >= size) {
            *bad = idx[i];
            return EM_EINDEX;
        }
    return EM_OK;
}
