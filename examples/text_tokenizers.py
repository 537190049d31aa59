"""Tokenize text with ember-text: GPT-2 BPE, BERT WordPiece, a trained BPE and a vocabulary.

    python examples/text_tokenizers.py [path/to/shared/data/text]

Uses the GPT-2 and BERT files from ../shared/data/text when present; the trained BPE and the
vocabulary need nothing but this script.
"""

from __future__ import annotations

import pathlib
import sys
import tempfile

from embertext.data import get_tokenizer
from embertext.tokenizers import BertTokenizer, ByteLevelBPETokenizer
from embertext.vocab import build_vocab_from_iterator

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "A journey of a thousand miles begins with a single step.",
    "To be, or not to be, that is the question.",
    "All that glitters is not gold; all who wander are not lost.",
] * 10


def main(data: pathlib.Path) -> None:
    # a word-level vocabulary, torchtext style
    tokenize = get_tokenizer("basic_english")
    vocab = build_vocab_from_iterator(map(tokenize, CORPUS), specials=["<unk>"])
    vocab.set_default_index(vocab["<unk>"])
    print("vocab:", len(vocab), "tokens;", vocab(tokenize("The fox is not lost!")))

    # a byte-level BPE trained here, saved in GPT-2's format and loaded back
    bpe = ByteLevelBPETokenizer.train(CORPUS, vocab_size=300, special_tokens=["<|endoftext|>"])
    with tempfile.TemporaryDirectory() as tmp:
        bpe = ByteLevelBPETokenizer.from_files(*bpe.save(tmp))
    ids = bpe.encode("the question begins<|endoftext|>", allowed_special="all")
    print("trained BPE:", ids, "->", repr(bpe.decode(ids)))

    gpt2_dir, bert_dir = data / "gpt2_bpe", data / "bert_wordpiece_all-MiniLM-L6-v2"
    if gpt2_dir.exists():
        gpt2 = ByteLevelBPETokenizer.from_files(gpt2_dir / "vocab.json", gpt2_dir / "merges.txt")
        ids = gpt2.encode("Hello world, ember-text speaks GPT-2!")
        print("GPT-2:", ids, [gpt2.decode_single_token_bytes(i) for i in ids])
    if bert_dir.exists():
        bert = BertTokenizer.from_file(bert_dir / "vocab.txt")
        enc = bert("Is this the real life?", "Is this just fantasy?", padding="max_length",
                   max_length=16)
        print("BERT:", bert.convert_ids_to_tokens(enc["input_ids"]))
        print("      types", enc["token_type_ids"])


if __name__ == "__main__":
    default = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data" / "text"
    main(pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else default)
