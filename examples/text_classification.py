"""Train a bag-of-embeddings text classifier with ember + ember-text.

    python examples/text_classification.py [--root .data] [--epochs 5]

With ``--root`` pointing at a folder holding ``AG_NEWS/train.csv`` and ``AG_NEWS/test.csv``
(the original ag_news_csv files) it trains on AG_NEWS; without it, on a small built-in
sentiment set, so the example runs anywhere.
"""

from __future__ import annotations

import argparse
import random

import ember
from ember import nn, optim
from embertext import transforms as T
from embertext.data import get_tokenizer
from embertext.vocab import build_vocab_from_iterator

POSITIVE = ["a wonderful, moving film", "great acting and a great story", "i loved every minute",
            "brilliant and funny", "a joy to watch", "superb direction, superb cast"]
NEGATIVE = ["a dull, boring film", "terrible acting and a weak story", "i hated every minute",
            "tedious and unfunny", "a chore to watch", "awful direction, awful cast"]


def toy_data() -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    rows = [(1, t) for t in POSITIVE] + [(0, t) for t in NEGATIVE]
    return rows * 20, rows


class BagOfEmbeddings(nn.Module):
    """Mean of token embeddings (padding masked out), then a linear layer."""

    def __init__(self, vocab_size: int, dim: int, num_classes: int, pad_id: int) -> None:
        super().__init__()
        self.pad_id = pad_id
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=pad_id)
        self.fc = nn.Linear(dim, num_classes)

    def forward(self, ids: ember.Tensor) -> ember.Tensor:
        mask = (ids != self.pad_id).unsqueeze(-1).float()
        summed = (self.embedding(ids) * mask).sum(dim=1)
        return self.fc(summed / mask.sum(dim=1).clamp(min=1.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", help="folder with AG_NEWS/train.csv and test.csv")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()

    if args.root:
        from embertext.datasets import AG_NEWS
        train, test = (list(split) for split in AG_NEWS(root=args.root))
        train = [(label - 1, text) for label, text in train]  # labels 1-4 -> 0-3
        test = [(label - 1, text) for label, text in test]
    else:
        train, test = toy_data()
    num_classes = max(label for label, _ in train) + 1

    tokenize = get_tokenizer("basic_english")
    vocab = build_vocab_from_iterator((tokenize(t) for _, t in train), specials=["<pad>", "<unk>"])
    vocab.set_default_index(vocab["<unk>"])
    pipeline = T.Sequential(T.VocabTransform(vocab), T.Truncate(128),
                            T.ToTensor(padding_value=vocab["<pad>"]))

    ember.manual_seed(0)
    model = BagOfEmbeddings(len(vocab), 32, num_classes, vocab["<pad>"])
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    rng = random.Random(0)
    for epoch in range(args.epochs):
        rng.shuffle(train)
        total = 0.0
        for start in range(0, len(train), args.batch_size):
            batch = train[start:start + args.batch_size]
            ids = pipeline([tokenize(text) for _, text in batch])
            labels = ember.tensor([label for label, _ in batch], dtype=ember.long)
            loss = nn.functional.cross_entropy(model(ids), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        print(f"epoch {epoch + 1}: loss {total / len(train):.4f}")

    with ember.no_grad():
        ids = pipeline([tokenize(text) for _, text in test])
        predicted = model(ids).argmax(dim=1).tolist()
    accuracy = sum(p == label for p, (label, _) in zip(predicted, test)) / len(test)
    print(f"test accuracy: {accuracy:.3f}")


if __name__ == "__main__":
    main()
