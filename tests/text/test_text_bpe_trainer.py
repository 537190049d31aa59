"""BPE training: deterministic merges, size limits, specials, save/load."""

import pytest
from embertext.tokenizers import ByteLevelBPETokenizer, train_bpe
from hypothesis import given, settings
from hypothesis import strategies as st

CORPUS = ["the cat sat on the mat", "the dog sat on the log", "low lower lowest newer"] * 20


def test_first_merges_follow_pair_frequency():
    ranks, specials = train_bpe(CORPUS, vocab_size=256 + 3)
    merged = [t for r, t in sorted((r, t) for t, r in ranks.items() if r >= 256)]
    # "at", "he", "lo" and "th" each occur 80 times; ties go to the smallest id pair
    assert merged == [b"at", b"he", b"lo"]
    assert specials == {}
    assert len(ranks) == 259


def test_most_frequent_pair_is_merged_first_and_ties_go_to_smaller_ids():
    ranks, _ = train_bpe(["ab ab ab cd cd cd"], vocab_size=258, min_frequency=1)
    # "ab", " a"+... counts: a-b 3, c-d 3, ' '-a 2, ' '-c 3; ties (3) go to the smallest pair
    # ids: (32, 99) = " c" < (97, 98) = "ab" < (99, 100) = "cd"
    assert ranks[b" c"] == 256 and ranks[b"ab"] == 257


def test_vocab_size_and_specials():
    tok = ByteLevelBPETokenizer.train(CORPUS, vocab_size=280, min_frequency=2,
                                      special_tokens=["<|endoftext|>", "<pad>"])
    assert tok.n_vocab == 280
    assert tok.special_tokens == {"<|endoftext|>": 278, "<pad>": 279}
    assert tok.encode("the cat<pad>", allowed_special="all")[-1] == 279
    assert len(tok.encode(" the cat")) < len(b" the cat")


def test_min_frequency_stops_training():
    ranks, _ = train_bpe(["abc"], vocab_size=1000, min_frequency=2)
    assert len(ranks) == 256
    ranks, _ = train_bpe(["abc"], vocab_size=1000, min_frequency=1)
    assert set(ranks) - {bytes([b]) for b in range(256)} == {b"ab", b"abc"}


def test_training_is_deterministic():
    a, _ = train_bpe(CORPUS, vocab_size=300)
    b, _ = train_bpe(list(reversed(CORPUS)), vocab_size=300)
    assert a == b


def test_argument_validation():
    with pytest.raises(ValueError, match="vocab_size"):
        train_bpe(CORPUS, vocab_size=100)
    with pytest.raises(ValueError, match="min_frequency"):
        train_bpe(CORPUS, vocab_size=300, min_frequency=0)


def test_save_load_roundtrip(tmp_path):
    tok = ByteLevelBPETokenizer.train(CORPUS, vocab_size=300, special_tokens=["<|endoftext|>"])
    vocab_path, merges_path = tok.save(tmp_path)
    again = ByteLevelBPETokenizer.from_files(vocab_path, merges_path)
    for text in CORPUS[:3] + ["unseen words lowest", "<|endoftext|>"]:
        assert again.encode(text, allowed_special="all") == tok.encode(text,
                                                                       allowed_special="all")
    assert again.special_tokens == tok.special_tokens


@settings(max_examples=100, deadline=None)
@given(text=st.text())
def test_trained_tokenizer_roundtrips_any_text(text):
    tok = _trained()
    assert tok.decode(tok.encode_ordinary(text)) == text


_CACHE = {}


def _trained():
    if "tok" not in _CACHE:
        _CACHE["tok"] = ByteLevelBPETokenizer.train(CORPUS + ["naïve café 日本"], vocab_size=320,
                                                    min_frequency=1)
    return _CACHE["tok"]
