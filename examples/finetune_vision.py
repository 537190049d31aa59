"""Fine-tune a ResNet-18 on an ImageFolder of ants and bees (torchvision's transfer-learning
tutorial, written against embervision).

The data folder holds ``train/<class>/*.jpg`` and ``val/<class>/*.jpg``; the default is the small
copy of the tutorial's hymenoptera set in ``<repo>/../shared/data``. Training images get
RandomResizedCrop + horizontal flip, validation images Resize + CenterCrop, both normalized with
the ImageNet mean and std. The new 2-way ``fc`` head and the backbone train with SGD (momentum
0.9) and StepLR; after each epoch the validation accuracy is reported and the best weights so far
are saved with ``ember.save``. At the end they are reloaded and checked once more.

    python examples/finetune_vision.py                      # ImageNet weights (downloads once)
    python examples/finetune_vision.py --weights none       # random init, works offline
    python examples/finetune_vision.py --data ~/hymenoptera_data --epochs 25

``--weights DEFAULT`` (or ``IMAGENET1K_V1``) fetches torchvision's checkpoint through
``ember.hub`` into ``$EMBER_HOME/hub/checkpoints`` (default ``~/.cache/ember``); once cached it
needs no network. When it is neither cached nor downloadable the script stops and says so: a
randomly initialized network is used only when asked for with ``--weights none``.
"""

from __future__ import annotations

import argparse
import time
import urllib.error
from pathlib import Path

import ember
import ember.optim  # noqa: F401  (`import ember` alone does not load ember.optim)
import ember.utils.data  # noqa: F401
from ember import nn
from ember.optim import lr_scheduler
from ember.utils.data import DataLoader

from embervision import datasets, models, transforms

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "vision" / "imagefolder_hymenoptera_mini"
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def make_datasets(data_dir: Path, size: int) -> dict[str, datasets.ImageFolder]:
    """``train`` and ``val`` ImageFolders with the tutorial's transforms at ``size`` pixels."""
    data_transforms = {
        "train": transforms.Compose([
            transforms.RandomResizedCrop(size),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            transforms.Normalize(MEAN, STD),
        ]),
        # 256 -> 224 in the tutorial: keep that ratio at other sizes.
        "val": transforms.Compose([
            transforms.Resize(round(size * 256 / 224)),
            transforms.CenterCrop(size),
            transforms.ToTensor(),
            transforms.Normalize(MEAN, STD),
        ]),
    }
    for phase in data_transforms:
        if not (data_dir / phase).is_dir():
            raise SystemExit(f"error: {data_dir / phase} is not a folder; --data must hold "
                             "train/<class>/ and val/<class>/ image folders")
    return {phase: datasets.ImageFolder(str(data_dir / phase), t)
            for phase, t in data_transforms.items()}


def make_model(weights: str, num_classes: int) -> nn.Module:
    """resnet18 with ``weights`` (an enum name, or "none"), its fc replaced by a new head."""
    if weights.lower() == "none":
        model = models.resnet18(weights=None)
    else:
        chosen = models.ResNet18_Weights.verify(weights)
        try:
            model = models.resnet18(weights=chosen)
        except urllib.error.URLError as e:  # also covers HTTPError; OSError is too broad
            raise SystemExit(
                f"error: could not download the pretrained weights {chosen} from {chosen.url} "
                f"({e.reason}). This machine looks offline and the checkpoint is not in the "
                f"cache ({ember.hub.get_dir()}/checkpoints). Either copy the file there, or "
                "pass --weights none to fine-tune from a random initialization.") from None
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    return model


def run_epoch(model, loader, criterion, optimizer=None) -> tuple[float, float]:
    """One pass over ``loader``; trains when given an optimizer. Returns (loss, accuracy)."""
    training = optimizer is not None
    model.train(training)
    total_loss, correct, seen = 0.0, 0, 0
    for inputs, labels in loader:
        with ember.set_grad_enabled(training):
            outputs = model(inputs)
            loss = criterion(outputs, labels)
            if training:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        total_loss += loss.item() * inputs.size(0)
        correct += int((outputs.argmax(1) == labels).sum().item())
        seen += inputs.size(0)
    return total_loss / seen, correct / seen


def main(argv: list[str] | None = None) -> float:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(DEFAULT_DATA),
                    help="folder with train/ and val/ ImageFolders (default: %(default)s)")
    ap.add_argument("--weights", default="DEFAULT",
                    help="ResNet18_Weights name (DEFAULT, IMAGENET1K_V1) or 'none' for random "
                         "init (default: %(default)s)")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--image-size", type=int, default=224, help="crop size in pixels")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--step-size", type=int, default=7, help="StepLR: epochs per decay")
    ap.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    ap.add_argument("--out", default="finetune_best.pt", help="where the best state_dict goes")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    start = time.perf_counter()
    ember.manual_seed(args.seed)
    image_datasets = make_datasets(Path(args.data), args.image_size)
    # A last training batch of one image would leave batch norm a single value per channel
    # at small sizes (layer4 is 1x1 at 32 pixels), which it refuses: drop the remainder batch.
    loaders = {phase: DataLoader(ds, batch_size=args.batch_size, shuffle=phase == "train",
                                 num_workers=args.workers,
                                 drop_last=phase == "train" and len(ds) > args.batch_size)
               for phase, ds in image_datasets.items()}
    class_names = image_datasets["train"].classes
    print(f"classes {class_names}; {len(image_datasets['train'])} train and "
          f"{len(image_datasets['val'])} val images")

    model = make_model(args.weights, len(class_names))
    criterion = nn.CrossEntropyLoss()
    optimizer = ember.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=args.step_size, gamma=0.1)

    best_acc = -1.0
    for epoch in range(args.epochs):
        train_loss, train_acc = run_epoch(model, loaders["train"], criterion, optimizer)
        scheduler.step()
        val_loss, val_acc = run_epoch(model, loaders["val"], criterion)
        print(f"epoch {epoch + 1}/{args.epochs}  train loss {train_loss:.4f} acc {train_acc:.4f}"
              f"  val loss {val_loss:.4f} acc {val_acc:.4f}")
        if val_acc > best_acc:
            best_acc = val_acc
            ember.save(model.state_dict(), args.out)

    print(f"training took {time.perf_counter() - start:.1f}s; best val acc {best_acc:.4f}, "
          f"weights in {args.out}")
    model.load_state_dict(ember.load(args.out, weights_only=True))
    _, reloaded_acc = run_epoch(model, loaders["val"], criterion)
    print(f"reloaded best weights: val acc {reloaded_acc:.4f}")
    return best_acc


if __name__ == "__main__":
    main()
