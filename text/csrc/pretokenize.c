/* pretokenize.c: GPT-2's pre-tokenisation regex, written out as a scanner.
 *
 * The pattern  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * is tried alternative by alternative at each position (leftmost-first, greedy), which a
 * direct scanner over code points reproduces exactly and several times faster than a
 * backtracking regex engine. \s is Unicode White_Space, as in tiktoken's Rust regex.
 */
#include "internal.h"

#define CLASS_MASK (ET_U_LETTER | ET_U_NUMBER | ET_U_SPACE)

/* Class of the code point at i and its byte length (0 on bad UTF-8). */
static inline size_t class_at(const uint8_t *s, size_t len, size_t i, uint8_t *cls) {
    uint32_t cp;
    size_t n = et_utf8_decode(s, len, i, &cp);
    *cls = et_uflags(cp) & CLASS_MASK;
    return n;
}

/* Extends a run of code points whose class equals want (0 = "none of L, N, space")
 * from i; returns the end, or (size_t)-1 on bad UTF-8. */
static size_t scan_run(const uint8_t *s, size_t len, size_t i, uint8_t want) {
    while (i < len) {
        uint8_t cls;
        size_t n = class_at(s, len, i, &cls);
        if (!n) return (size_t)-1;
        /* a code point is at most one of letter/number/space, so equality is a class test */
        if (cls != want) break;
        i += n;
    }
    return i;
}

static int contraction(const uint8_t *s, size_t len, size_t i, size_t *end) {
    if (s[i] != '\'' || len - i < 2) return 0;
    uint8_t a = s[i + 1];
    if (a == 's' || a == 't' || a == 'm' || a == 'd') { *end = i + 2; return 1; }
    if (len - i < 3) return 0;
    uint8_t b = s[i + 2];
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) {
        *end = i + 3;
        return 1;
    }
    return 0;
}

int et_gpt2_next(const uint8_t *s, size_t len, size_t i, size_t *end) {
    if (contraction(s, len, i, end)) return ET_OK;
    uint8_t c0;
    size_t n0 = class_at(s, len, i, &c0);
    if (!n0) return ET_ERR_UTF8;
    size_t j = i;
    uint8_t cls = c0;
    if (s[i] == ' ' && len - i > 1) {
        /* " ?X+" alternatives: the optional space binds to a following non-space run */
        uint8_t c1;
        if (!class_at(s, len, i + 1, &c1)) return ET_ERR_UTF8;
        if (c1 != ET_U_SPACE) { j = i + 1; cls = c1; }
    }
    if (cls != ET_U_SPACE) {
        size_t e = scan_run(s, len, j, cls);
        if (e == (size_t)-1) return ET_ERR_UTF8;
        *end = e;
        return ET_OK;
    }
    /* white space: \s+(?!\S) keeps the last space for the next piece when a non-space
     * follows, unless the run is one code point long (then \s+ takes it). */
    size_t last = i, k = i;
    while (k < len) {
        uint8_t c;
        size_t n = class_at(s, len, k, &c);
        if (!n) return ET_ERR_UTF8;
        if (c != ET_U_SPACE) break;
        last = k;
        k += n;
    }
    *end = (k < len && last > i) ? last : k;
    return ET_OK;
}

int et_gpt2_split(const char *text, size_t len, int64_t *ends, size_t cap, size_t *n_out) {
    if ((!text && len) || (!ends && cap) || !n_out) return ET_ERR_ARG;
    const uint8_t *s = (const uint8_t *)text;
    size_t i = 0, n = 0;
    while (i < len) {
        size_t e;
        int st = et_gpt2_next(s, len, i, &e);
        if (st != ET_OK) { *n_out = i; return st; }
        if (n < cap) ends[n] = (int64_t)e;
        n++;
        i = e;
    }
    *n_out = n;
    return n > cap ? ET_ERR_CAPACITY : ET_OK;
}
