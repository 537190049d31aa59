"""The C layer directly: tables against unicodedata, argument checks and status codes."""

import unicodedata

import pytest
from embertext._native import NativeError, call_with_output, check, ffi, lib
from hypothesis import given, settings
from hypothesis import strategies as st
from textutil import WHITE_SPACE


def flags(cp: int) -> int:
    out = ffi.new("uint8_t *")
    check(lib.et_unicode_flags(cp, out), "flags")
    return out[0]


def test_unicode_flags_match_unicodedata_on_every_bmp_code_point():
    for cp in range(0x10000):
        f = flags(cp)
        cat = unicodedata.category(chr(cp))
        assert bool(f & lib.ET_U_LETTER) == (cat[0] == "L"), hex(cp)
        assert bool(f & lib.ET_U_NUMBER) == (cat[0] == "N"), hex(cp)
        assert bool(f & lib.ET_U_SPACE) == (cp in WHITE_SPACE), hex(cp)
        assert bool(f & lib.ET_U_OTHER) == (cat in ("Cc", "Cf", "Cs", "Co")), hex(cp)
        assert bool(f & lib.ET_U_MN) == (cat == "Mn"), hex(cp)


@pytest.mark.parametrize("cp,expected", [(ord("!"), True), (ord("$"), True), (ord("`"), True),
                                         (ord("a"), False), (0x3001, True), (0x00BF, True),
                                         (0x00A7, True), (ord(" "), False)])
def test_bert_punctuation_is_ascii_punct_or_category_p(cp, expected):
    assert bool(flags(cp) & lib.ET_U_BERT_PUNCT) == expected


@pytest.mark.parametrize("cp,expected", [(0x4E2D, True), (0x3400, True), (0xF900, True),
                                         (0x20000, True), (0x3042, False), (0xAC00, False)])
def test_cjk_ranges(cp, expected):
    assert bool(flags(cp) & lib.ET_U_CJK) == expected


def test_lowercase_table_matches_python_per_code_point():
    out = ffi.new("uint32_t[3]")
    n = ffi.new("size_t *")
    for cp in [*range(0x3000), 0x1E9E, 0x2C00, 0x10400, 0x1E900, 0x130, 0x3A3]:
        check(lib.et_unicode_lower(cp, out, 3, n), "lower")
        assert "".join(chr(out[k]) for k in range(n[0])) == chr(cp).lower(), hex(cp)


def test_unicode_lookups_reject_out_of_range_code_points():
    assert lib.et_unicode_flags(0x110000, ffi.new("uint8_t *")) == lib.ET_ERR_ARG
    assert lib.et_unicode_flags(65, ffi.NULL) == lib.ET_ERR_ARG


def test_split_reports_capacity_and_needed_size():
    n = ffi.new("size_t *")
    ends = ffi.new("int64_t[1]")
    data = b"one two three"
    assert lib.et_gpt2_split(data, len(data), ends, 1, n) == lib.ET_ERR_CAPACITY
    assert n[0] == 3 and ends[0] == 3
    out, count = call_with_output(lib.et_gpt2_split, (data, len(data)), "int64_t", 1, "split")
    assert ffi.unpack(out, count) == [3, 7, 13]


@pytest.mark.parametrize("bad", [b"\xff", b"a\xc3", b"\xc0\xaf", b"\xed\xa0\x80",
                                 b"\xf4\x90\x80\x80", b"ok \xe2\x82"])
def test_split_rejects_invalid_utf8(bad):
    n = ffi.new("size_t *")
    ends = ffi.new("int64_t[16]")
    assert lib.et_gpt2_split(bad, len(bad), ends, 16, n) == lib.ET_ERR_UTF8


def test_null_pointers_are_argument_errors():
    n = ffi.new("size_t *")
    assert lib.et_gpt2_split(ffi.NULL, 3, ffi.new("int64_t[4]"), 4, n) == lib.ET_ERR_ARG
    assert lib.et_bpe_encode(ffi.NULL, b"a", 1, ffi.new("int32_t[1]"), 1, n) == lib.ET_ERR_ARG


def test_bpe_new_validates_offsets_and_byte_coverage():
    out = ffi.new("et_bpe **")
    blob = bytes(range(256))
    offsets = ffi.new("int64_t[]", list(range(257)))
    ranks = ffi.new("int32_t[]", list(range(256)))
    ids = ffi.new("int32_t[]", list(range(256)))
    assert lib.et_bpe_new(blob, 256, offsets, ranks, ids, 256, out) == lib.ET_OK
    lib.et_bpe_free(out[0])
    # an offset past the blob
    bad = ffi.new("int64_t[]", list(range(256)) + [999])
    assert lib.et_bpe_new(blob, 256, bad, ranks, ids, 256, out) == lib.ET_ERR_ARG
    # decreasing offsets
    bad = ffi.new("int64_t[]", [0, 2, 1] + list(range(3, 257)))
    assert lib.et_bpe_new(blob, 256, bad, ranks, ids, 256, out) == lib.ET_ERR_ARG
    # a missing byte
    assert lib.et_bpe_new(blob, 255, offsets, ranks, ids, 255, out) == lib.ET_ERR_ARG
    # negative id
    neg = ffi.new("int32_t[]", [-5] + list(range(1, 256)))
    assert lib.et_bpe_new(blob, 256, offsets, ranks, neg, 256, out) == lib.ET_ERR_ARG


def test_bpe_new_rejects_duplicate_tokens():
    out = ffi.new("et_bpe **")
    blob = bytes(range(256)) + b"a"
    offsets = ffi.new("int64_t[]", list(range(258)))
    ranks = ffi.new("int32_t[]", list(range(257)))
    ids = ffi.new("int32_t[]", list(range(257)))
    assert lib.et_bpe_new(blob, 257, offsets, ranks, ids, 257, out) == lib.ET_ERR_DUPLICATE


def test_check_maps_status_to_exceptions():
    check(lib.ET_OK, "fine")
    with pytest.raises(ValueError, match="doing x: invalid argument"):
        check(lib.ET_ERR_ARG, "doing x")
    with pytest.raises(MemoryError):
        check(lib.ET_ERR_NOMEM, "x")
    with pytest.raises(KeyError):
        check(lib.ET_ERR_RANGE, "x")
    with pytest.raises(ValueError, match="invalid UTF-8"):
        check(lib.ET_ERR_UTF8, "x")
    with pytest.raises(NativeError, match="unknown status -99"):
        check(-99, "x")


def test_encode_many_validates_text_ends(small_bpe_files):
    from embertext.tokenizers import ByteLevelBPETokenizer

    tok = ByteLevelBPETokenizer.from_files(*small_bpe_files)
    n = ffi.new("size_t *")
    out = ffi.new("int32_t[16]")
    out_ends = ffi.new("int64_t[2]")
    blob = b"hello world"
    for ends in ([5, 99], [6, 5], [-1, 5]):
        status = lib.et_bpe_encode_many(tok._model, blob, len(blob), ffi.new("int64_t[]", ends),
                                        2, out, 16, out_ends, n)
        assert status == lib.ET_ERR_ARG, ends
    status = lib.et_bpe_encode_many(tok._model, blob, len(blob), ffi.new("int64_t[]", [5, 11]),
                                    2, out, 16, out_ends, n)
    assert status == lib.ET_OK and list(out_ends) == [n[0] - 1, n[0]]


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=64))
def test_arbitrary_bytes_never_crash(small_bpe_files, bert_vocab_file, data):
    from embertext.tokenizers import ByteLevelBPETokenizer, WordPieceTokenizer

    bpe = _cached(ByteLevelBPETokenizer.from_files, *small_bpe_files)
    wp = _cached(WordPieceTokenizer.from_file, bert_vocab_file)
    n = ffi.new("size_t *")
    out = ffi.new("int32_t[]", 3 * len(data) + 1)
    try:
        valid = data.decode("utf-8") is not None
    except UnicodeDecodeError:
        valid = False
    expected = lib.ET_OK if valid else lib.ET_ERR_UTF8
    assert lib.et_bpe_encode(bpe._model, data, len(data), out, len(data) + 1, n) == expected
    assert lib.et_wordpiece_encode(wp._model, data, len(data), out, 3 * len(data) + 1,
                                   n) == expected
    # the merge loop alone takes any bytes
    assert lib.et_bpe_encode_bytes(bpe._model, data, len(data), out, len(data) + 1, n) == 0
    assert bpe.decode_bytes(ffi.unpack(out, n[0])) == data


_TOKENIZERS = {}


def _cached(factory, *args):
    key = (factory, args)
    if key not in _TOKENIZERS:
        _TOKENIZERS[key] = factory(*args)
    return _TOKENIZERS[key]
