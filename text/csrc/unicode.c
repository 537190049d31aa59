/* unicode.c: lookups into the generated Unicode tables. */
#include "internal.h"

int et_unicode_flags(uint32_t cp, uint8_t *out) {
    if (!out || cp >= 0x110000) return ET_ERR_ARG;
    *out = et_uflags(cp);
    return ET_OK;
}

int et_unicode_lower(uint32_t cp, uint32_t *out, size_t cap, size_t *n_out) {
    if (!out || !n_out || cp >= 0x110000) return ET_ERR_ARG;
    if (!(et_uflags(cp) & ET_U_HAS_LOWER)) {
        if (cap < 1) return ET_ERR_CAPACITY;
        out[0] = cp;
        *n_out = 1;
        return ET_OK;
    }
    /* binary search in the sorted key list */
    size_t lo = 0, hi = et_lower_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (et_lower_keys[mid] < cp) lo = mid + 1;
        else hi = mid;
    }
    if (lo == et_lower_count || et_lower_keys[lo] != cp) return ET_ERR_ARG; /* table broken */
    size_t n = et_lower_lens[lo];
    *n_out = n;
    if (cap < n) return ET_ERR_CAPACITY;
    for (size_t k = 0; k < n; k++) out[k] = et_lower_vals[3 * lo + k];
    return ET_OK;
}
