"""Encode throughput of ember-text's tokenizers against the reference libraries.

GPT-2 BPE vs tiktoken (loaded from the local gpt2.tiktoken) and BERT WordPiece vs HF
tokenizers (local tokenizer.json), on the corpora in ../shared/data/text/corpus: one call on
the whole text, and encode_batch over its lines (1 and 2 threads). Prints median seconds and
ratio = reference_time / ember_time (above 1: ember is faster).

    python bench/text.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time

DATA = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data" / "text"


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"needs {DATA}")
        return 1
    import tiktoken
    import tokenizers
    from embertext.tokenizers import GPT2_PATTERN, ByteLevelBPETokenizer, WordPieceTokenizer
    from tiktoken.load import load_tiktoken_bpe

    bpe = ByteLevelBPETokenizer.from_files(DATA / "gpt2_bpe/vocab.json",
                                           DATA / "gpt2_bpe/merges.txt")
    tik = tiktoken.Encoding("gpt2-local", pat_str=GPT2_PATTERN,
                            mergeable_ranks=load_tiktoken_bpe(str(DATA / "gpt2_bpe/gpt2.tiktoken")),
                            special_tokens={"<|endoftext|>": 50256})
    bert_json = DATA / "bert_wordpiece_all-MiniLM-L6-v2/tokenizer.json"
    wp = WordPieceTokenizer.from_tokenizer_json(bert_json)
    hf = tokenizers.Tokenizer.from_file(str(bert_json))
    hf.no_truncation()
    hf.no_padding()

    cases = {
        "gpt2": (lambda t: bpe.encode_ordinary(t), lambda t: tik.encode_ordinary(t),
                 lambda ls, n: bpe.encode_ordinary_batch(ls, num_threads=n),
                 lambda ls, n: tik.encode_ordinary_batch(ls, num_threads=n)),
        "wordpiece": (lambda t: wp.encode(t),
                      lambda t: hf.encode(t, add_special_tokens=False).ids,
                      lambda ls, n: wp.encode_batch(ls, num_threads=n),
                      # HF parallelism is set by an env variable; the batch uses its pool
                      lambda ls, n: [e.ids for e in hf.encode_batch(ls, add_special_tokens=False)]),
    }
    print(f"{'tokenizer':<10} {'corpus':<26} {'mode':<9} {'ember s':>9} {'ref s':>9} {'ratio':>6}")
    for corpus in sorted((DATA / "corpus").glob("*.txt")):
        text = corpus.read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        for name, (ours, ref, ours_batch, ref_batch) in cases.items():
            assert ours(text) == ref(text), f"{name} differs from the reference on {corpus.name}"
            runs = [("single", lambda f=ours, t=text: f(t), lambda f=ref, t=text: f(t))]
            for n in (1, 2):
                runs.append((f"batch/{n}", lambda f=ours_batch, n=n, ls=lines: f(ls, n),
                             lambda f=ref_batch, n=n, ls=lines: f(ls, n)))
            for mode, fo, fr in runs:
                to, tr = median_time(fo, args.repeat), median_time(fr, args.repeat)
                print(f"{name:<10} {corpus.name:<26} {mode:<9} {to:9.4f} {tr:9.4f} "
                      f"{tr / to:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
