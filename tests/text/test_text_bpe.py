"""Byte-level BPE on small GPT-2-format fixtures, plus the real GPT-2 files when present."""

import pickle

import pytest
from embertext.tokenizers import ByteLevelBPETokenizer
from hypothesis import given, settings
from hypothesis import strategies as st
from textutil import SMALL_MERGES, bpe_encode, bpe_merge, gpt2_byte_map, shared_file

SPECIAL = "<|endoftext|>"


@pytest.fixture(scope="module")
def small(small_bpe_files):
    return ByteLevelBPETokenizer.from_files(*small_bpe_files)


def test_loads_vocab_json_and_merges_txt(small):
    assert small.n_vocab == 256 + len({a + b for a, b in SMALL_MERGES}) + 1
    assert small.special_tokens == {SPECIAL: small.n_vocab - 1}
    assert small.eot_token == small.n_vocab - 1
    # ids follow vocab.json: GPT-2 puts "!" (byte 33) at id 0
    assert small.encode_single_token(b"!") == 0
    assert small.token_to_id("Ġworld") == small.encode_single_token(b" world")
    assert small.id_to_token(small.encode_single_token(b" world")) == "Ġworld"


def test_encode_merges_by_rank(small):
    ids = small.encode(" the hello world and")
    pieces = [small.decode_single_token_bytes(i) for i in ids]
    assert pieces == [b" the", b" hello", b" world", b" and"]


def test_merge_rule_matches_reference_implementation(small):
    ranks = small.mergeable_ranks
    for text in ["hello there", "aaaaaaa", "inner order", "thethe the", "ll ll ll", "x" * 50,
                 "a" * 1000, "helloworld" * 30]:
        expected = [small.encode_single_token(p) for p in
                    [x for piece in _split(text) for x in bpe_merge(piece, ranks)]]
        assert small.encode(text) == expected, text


def _split(text):
    from textutil import gpt2_split
    return [p.encode() for p in gpt2_split(text)]


def test_long_piece_uses_leftmost_lowest_rank(small):
    # "aaaaaaa": (a,a) merges left to right, then (aa,aa): aaaa aa a
    pieces = [small.decode_single_token_bytes(i) for i in small.encode("aaaaaaa")]
    assert pieces == [b"aaaa", b"aa", b"a"]
    assert bpe_merge(b"aaaaaaa", small.mergeable_ranks) == pieces
    n = 100_000
    ids = small.encode("a" * n)
    assert len(ids) == n // 4 and small.decode(ids) == "a" * n


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("helo wrdantiaa\n'") + ["é", "🙂"]),
                   max_size=80))
def test_matches_reference_encoder(small, small_bpe_files, text):
    bmap = {v: k for k, v in gpt2_byte_map().items()}
    import json
    vocab = json.load(open(small_bpe_files[0], encoding="utf-8"))
    ids_by_bytes = {bytes(bmap[c] for c in t): i for t, i in vocab.items() if t != SPECIAL}
    # ranks for the reference: merge order, bytes first
    ranks = {bytes([b]): b for b in range(256)}
    for i, (a, b) in enumerate(SMALL_MERGES):
        ranks.setdefault(a + b, 256 + i)
    expected = [ids_by_bytes[bytes_] for bytes_ in
                (tok_bytes for tok_bytes in _ref_pieces(text, ranks))]
    assert small.encode(text) == expected


def _ref_pieces(text, ranks):
    from textutil import gpt2_split
    for piece in gpt2_split(text):
        data = piece.encode()
        yield from ([data] if data in ranks else bpe_merge(data, ranks))


@settings(max_examples=300, deadline=None)
@given(text=st.text())
def test_decode_encode_roundtrip_any_unicode(small, text):
    assert small.decode(small.encode_ordinary(text)) == text


def test_special_tokens_tiktoken_semantics(small):
    eot = small.eot_token
    text = f"hello{SPECIAL} world"
    with pytest.raises(ValueError, match="disallowed special token '<\\|endoftext\\|>'"):
        small.encode(text)
    allowed = small.encode(text, allowed_special="all")
    assert allowed == small.encode("hello") + [eot] + small.encode(" world")
    assert small.encode(text, allowed_special={SPECIAL}) == allowed
    ordinary = small.encode(text, disallowed_special=())
    assert eot not in ordinary and small.decode(ordinary) == text
    assert ordinary == small.encode_ordinary(text)
    assert small.decode(allowed) == text


def test_decode_errors(small):
    with pytest.raises(KeyError):
        small.decode([10**6])
    with pytest.raises(KeyError):
        small.decode([-1])
    with pytest.raises(KeyError):
        small.decode([2**40])
    with pytest.raises(KeyError):
        small.decode_single_token_bytes(10**6)
    assert small.decode([]) == ""


def test_decode_partial_utf8_is_replaced(small):
    ids = small.encode("é")  # two byte tokens
    assert len(ids) == 2
    assert small.decode(ids[:1]) == "\ufffd"
    assert small.decode_bytes(ids[:1]) == "é".encode()[:1]
    with pytest.raises(UnicodeDecodeError):
        small.decode(ids[:1], errors="strict")


def test_lone_surrogates_are_replaced_like_tiktoken(small):
    assert small.decode(small.encode("a\ud800b")) == "a\ufffdb"


def test_encode_batch_equals_sequential(small):
    texts = [f"hello world {i} and the " * (i % 7) for i in range(300)]
    expected = [small.encode(t) for t in texts]
    assert small.encode_batch(texts, num_threads=2) == expected
    assert small.encode_ordinary_batch(texts, num_threads=4) == expected
    assert small.encode_batch(texts, num_threads=1) == expected
    assert small.encode_batch([]) == []
    assert small.encode_batch(["", "hello", ""], num_threads=2) == [[], small.encode("hello"), []]


def test_encode_batch_special_tokens(small):
    texts = ["a<|endoftext|>b", "plain"]
    with pytest.raises(ValueError, match="disallowed special token"):
        small.encode_batch(texts)
    assert small.encode_batch(texts, allowed_special="all") == [
        small.encode(t, allowed_special="all") for t in texts]
    assert small.encode_batch(texts, disallowed_special=()) == [
        small.encode_ordinary(t) for t in texts]
    assert small.encode_batch(["a\ud800"]) == [small.encode("a\ud800")]


def test_save_and_reload_both_formats(small, tmp_path):
    vocab_path, merges_path = small.save(tmp_path / "out", prefix="small")
    again = ByteLevelBPETokenizer.from_files(vocab_path, merges_path)
    text = "hello the world and inner order aaaa"
    assert again.encode(text) == small.encode(text)
    assert again.special_tokens == small.special_tokens
    tk = tmp_path / "small.tiktoken"
    small.save_tiktoken(tk)
    lines = tk.read_bytes().splitlines()
    assert len(lines) == len(small.mergeable_ranks)
    ranked = ByteLevelBPETokenizer.from_tiktoken(tk, small.special_tokens)
    pieces = [ranked.decode_single_token_bytes(i) for i in ranked.encode(text)]
    assert pieces == [small.decode_single_token_bytes(i) for i in small.encode(text)]


def test_pickle_roundtrip(small):
    again = pickle.loads(pickle.dumps(small))
    assert again.encode("hello world") == small.encode("hello world")


def test_constructor_validation():
    with pytest.raises(ValueError, match="single bytes"):
        ByteLevelBPETokenizer({b"a": 0})
    ranks = {bytes([b]): b for b in range(256)}
    with pytest.raises(ValueError, match="reuses id"):
        ByteLevelBPETokenizer(ranks, {"<s>": 5})
    with pytest.raises(ValueError, match="exactly the tokens"):
        ByteLevelBPETokenizer(ranks, ids={b"a": 0})
    with pytest.raises(ValueError, match="two tokens share one id"):
        ByteLevelBPETokenizer({**ranks, b"ab": 3})
    with pytest.raises(ValueError, match="must lie in"):
        ByteLevelBPETokenizer({**ranks, b"ab": -7})


def test_bad_tiktoken_file(tmp_path):
    path = tmp_path / "bad.tiktoken"
    path.write_bytes(b"not-base64!! 3\n")
    with pytest.raises(ValueError, match="bad.tiktoken:1"):
        ByteLevelBPETokenizer.from_tiktoken(path)


# ---------------------------------------------------------------- real GPT-2 files
@pytest.fixture(scope="module")
def gpt2():
    return ByteLevelBPETokenizer.from_files(shared_file("gpt2_bpe", "vocab.json"),
                                            shared_file("gpt2_bpe", "merges.txt"))


def test_gpt2_known_ids(gpt2):
    assert gpt2.encode("Hello world") == [15496, 995]
    assert gpt2.encode("<|endoftext|>", allowed_special="all") == [50256]
    assert gpt2.n_vocab == 50257
    assert gpt2.decode([15496, 995]) == "Hello world"


def test_gpt2_tiktoken_file_equals_vocab_files(gpt2):
    tk = ByteLevelBPETokenizer.from_tiktoken(shared_file("gpt2_bpe", "gpt2.tiktoken"),
                                             {SPECIAL: 50256})
    text = shared_file("corpus", "botchan.txt").read_text(encoding="utf-8")[:50_000]
    assert tk.encode(text) == gpt2.encode(text)


def test_gpt2_matches_reference_merge_on_corpus_sample(gpt2):
    text = shared_file("corpus", "tinyshakespeare_input.txt").read_text(encoding="utf-8")[:5000]
    ranks = gpt2.mergeable_ranks
    ids_of = gpt2.token_ids
    assert gpt2.encode(text) == [ids_of[p] for p in _ref_pieces(text, ranks)]
    # in the .tiktoken file ids are the ranks, so the rank-level reference gives the ids
    tk = ByteLevelBPETokenizer.from_tiktoken(shared_file("gpt2_bpe", "gpt2.tiktoken"))
    assert gpt2.encode(text) == bpe_encode(text, tk.mergeable_ranks)


@settings(max_examples=200, deadline=None)
@given(text=st.text())
def test_gpt2_roundtrip_any_unicode(gpt2, text):
    assert gpt2.decode(gpt2.encode_ordinary(text)) == text
