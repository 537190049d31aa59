"""MNIST and its relatives, read from IDX ("SN3 Pascal Vincent") files.

Files live in torchvision's layout, ``root/<ClassName>/raw/<name>``; each may be stored
uncompressed (as torchvision's download leaves it) or still gzipped (``<name>.gz``).
"""

from __future__ import annotations

import gzip
import os
import shutil
import string
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ember
import numpy as np
from PIL import Image

from .utils import check_integrity, download_and_extract_archive, extract_archive, verify_str_arg
from .vision import VisionDataset

# IDX type code -> (NumPy big-endian dtype of the file, ember dtype)
_IDX_TYPES = {
    8: (np.dtype(">u1"), ember.uint8),
    9: (np.dtype(">i1"), ember.int8),
    11: (np.dtype(">i2"), ember.int16),
    12: (np.dtype(">i4"), ember.int32),
    13: (np.dtype(">f4"), ember.float32),
    14: (np.dtype(">f8"), ember.float64),
}


def _idx_path(path: str) -> str:
    """``path`` if it exists, else ``path + '.gz'`` if that exists, else ``path``."""
    if not os.path.isfile(path) and os.path.isfile(path + ".gz"):
        return path + ".gz"
    return path


def read_sn3_pascalvincent_tensor(path: str, strict: bool = True) -> ember.Tensor:
    """Read an IDX file (optionally gzip/xz compressed) into an ember tensor.

    The header is a big-endian magic number ``0x0000TTNN`` (T: element type, N: number of
    dimensions) followed by N big-endian uint32 sizes; the data follows, big-endian.
    """
    path = os.fspath(path)
    if path.endswith(".gz"):
        with gzip.open(path, "rb") as f:
            data = f.read()
    elif path.endswith(".xz"):
        import lzma
        with lzma.open(path, "rb") as f:
            data = f.read()
    else:
        with open(path, "rb") as f:
            data = f.read()
    if len(data) < 4:
        raise ValueError(f"{path} is too short to be an IDX file")
    magic = int.from_bytes(data[0:4], "big")
    nd, ty = magic % 256, magic // 256
    if not (1 <= nd <= 3) or ty not in _IDX_TYPES:
        raise ValueError(f"{path} is not an IDX file (magic number {magic:#010x})")
    sizes = [int.from_bytes(data[4 * (i + 1): 4 * (i + 2)], "big") for i in range(nd)]
    file_dtype, ember_dtype = _IDX_TYPES[ty]
    # NumPy only converts the file's bytes into native-order storage here (interop).
    parsed = np.frombuffer(data, dtype=file_dtype, offset=4 * (nd + 1))
    expected = int(np.prod(sizes))
    if strict and parsed.size != expected:
        raise ValueError(f"{path}: header says {expected} elements, file holds {parsed.size}")
    parsed = parsed[:expected].astype(file_dtype.newbyteorder("="))
    return ember.from_numpy(parsed.reshape(sizes)).to(ember_dtype)


def read_label_file(path: str) -> ember.Tensor:
    """Read an IDX label file (uint8, 1-D) as int64 labels."""
    x = read_sn3_pascalvincent_tensor(_idx_path(path), strict=False)
    if x.dtype != ember.uint8:
        raise TypeError(f"x should be of dtype ember.uint8 instead of {x.dtype}")
    if x.ndim != 1:
        raise ValueError(f"x should have 1 dimension instead of {x.ndim}")
    return x.long()


def read_image_file(path: str) -> ember.Tensor:
    """Read an IDX image file (uint8, N x H x W)."""
    x = read_sn3_pascalvincent_tensor(_idx_path(path), strict=False)
    if x.dtype != ember.uint8:
        raise TypeError(f"x should be of dtype ember.uint8 instead of {x.dtype}")
    if x.ndim != 3:
        raise ValueError(f"x should have 3 dimension instead of {x.ndim}")
    return x


def _present(path: str) -> bool:
    return check_integrity(path) or check_integrity(path + ".gz")


class MNIST(VisionDataset):
    """`MNIST <http://yann.lecun.com/exdb/mnist/>`_ handwritten digits.

    Args:
        root: folder holding ``MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]``.
        train: the 60k training set if True, else the 10k test set.
        transform: applied to the PIL image (mode ``"L"``).
        target_transform: applied to the int label.
        download: fetch the files from the mirrors (MD5-checked) when they are missing.

    Example:
        >>> ds = MNIST("data", train=False)          # doctest: +SKIP
        >>> img, label = ds[0]; img.size, label      # doctest: +SKIP
        ((28, 28), 7)
    """

    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    training_file = "training.pt"
    test_file = "test.pt"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str | Path, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_exists():
            missing = [f for f in self._required_files() if not _present(f)]
            raise RuntimeError("Dataset not found. You can use download=True to download it "
                               f"(missing: {', '.join(missing)})")
        self.data, self.targets = self._load_data()

    # torchvision's old attribute names, kept with the same warnings.
    @property
    def train_labels(self) -> ember.Tensor:
        warnings.warn("train_labels has been renamed targets", stacklevel=2)
        return self.targets

    @property
    def test_labels(self) -> ember.Tensor:
        warnings.warn("test_labels has been renamed targets", stacklevel=2)
        return self.targets

    @property
    def train_data(self) -> ember.Tensor:
        warnings.warn("train_data has been renamed data", stacklevel=2)
        return self.data

    @property
    def test_data(self) -> ember.Tensor:
        warnings.warn("test_data has been renamed data", stacklevel=2)
        return self.data

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def processed_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "processed")

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {_class: i for i, _class in enumerate(self.classes)}

    def _split_files(self) -> tuple[str, str]:
        prefix = "train" if self.train else "t10k"
        return (os.path.join(self.raw_folder, f"{prefix}-images-idx3-ubyte"),
                os.path.join(self.raw_folder, f"{prefix}-labels-idx1-ubyte"))

    def _required_files(self) -> list[str]:
        return list(self._split_files())

    def _load_data(self) -> tuple[ember.Tensor, ember.Tensor]:
        images, labels = self._split_files()
        return read_image_file(images), read_label_file(labels)

    def _check_exists(self) -> bool:
        return all(_present(f) for f in self._required_files())

    def download(self) -> None:
        """Download the files that are missing, trying each mirror in turn."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            if _present(os.path.join(self.raw_folder, os.path.splitext(filename)[0])):
                continue
            errors = []
            for mirror in self.mirrors:
                try:
                    download_and_extract_archive(f"{mirror}{filename}", self.raw_folder,
                                                 filename=filename, md5=md5)
                    break
                except RuntimeError as error:
                    errors.append(str(error))
            else:
                raise RuntimeError(f"Error downloading {filename} (needed at "
                                   f"{os.path.join(self.raw_folder, filename)}):\n"
                                   + "\n".join(errors))

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img, target = self.data[index], int(self.targets[index])
        img = Image.fromarray(img.numpy())
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"


class FashionMNIST(MNIST):
    """`Fashion-MNIST <https://github.com/zalandoresearch/fashion-mnist>`_: same layout as MNIST."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """`Kuzushiji-MNIST <https://github.com/rois-codh/kmnist>`_: same layout as MNIST."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


class EMNIST(MNIST):
    """`EMNIST <https://www.nist.gov/itl/products-and-services/emnist-dataset>`_.

    ``split`` is one of ``byclass``, ``bymerge``, ``balanced``, ``letters``, ``digits``,
    ``mnist``; files are ``EMNIST/raw/emnist-<split>-<train|test>-{images-idx3,labels-idx1}-ubyte``.
    Like torchvision, images are returned as stored (transposed relative to MNIST).
    """

    url = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
    md5 = "58c8d27c78d21e728a6bc7b3cc06412e"
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    _merged_classes = {"c", "i", "j", "k", "l", "m", "o", "p", "s", "u", "v", "w", "x", "y", "z"}
    _all_classes = set(string.digits + string.ascii_letters)
    classes_split_dict = {
        "byclass": sorted(_all_classes),
        "bymerge": sorted(_all_classes - _merged_classes),
        "balanced": sorted(_all_classes - _merged_classes),
        "letters": ["N/A"] + list(string.ascii_lowercase),
        "digits": list(string.digits),
        "mnist": list(string.digits),
    }

    def __init__(self, root: str | Path, split: str, **kwargs: Any) -> None:
        self.split = verify_str_arg(split, "split", self.splits)
        self.training_file = f"training_{split}.pt"
        self.test_file = f"test_{split}.pt"
        super().__init__(root, **kwargs)
        self.classes = self.classes_split_dict[self.split]

    @property
    def _file_prefix(self) -> str:
        return f"emnist-{self.split}-{'train' if self.train else 'test'}"

    @property
    def images_file(self) -> str:
        return os.path.join(self.raw_folder, f"{self._file_prefix}-images-idx3-ubyte")

    @property
    def labels_file(self) -> str:
        return os.path.join(self.raw_folder, f"{self._file_prefix}-labels-idx1-ubyte")

    def _split_files(self) -> tuple[str, str]:
        return self.images_file, self.labels_file

    def download(self) -> None:
        """Download the NIST zip (all splits), then decompress each split's files."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        download_and_extract_archive(self.url, download_root=self.raw_folder, md5=self.md5)
        gzip_folder = os.path.join(self.raw_folder, "gzip")
        for name in os.listdir(gzip_folder):
            if name.endswith(".gz"):
                extract_archive(os.path.join(gzip_folder, name), self.raw_folder)
        shutil.rmtree(gzip_folder)


class QMNIST(MNIST):
    """`QMNIST <https://github.com/facebookresearch/qmnist>`_: MNIST with extended labels.

    ``what`` is ``train``, ``test``, ``test10k``, ``test50k`` or ``nist`` (default from
    ``train``). Targets are N x 8 int64; with ``compat=True`` an item's target is the class.
    """

    subsets = {"train": "train", "test": "test", "test10k": "test", "test50k": "test",
               "nist": "nist"}
    _base = "https://raw.githubusercontent.com/facebookresearch/qmnist/master/"
    resources = {  # type: ignore[assignment]
        "train": [(_base + "qmnist-train-images-idx3-ubyte.gz", "ed72d4157d28c017586c42bc6afe6370"),
                  (_base + "qmnist-train-labels-idx2-int.gz", "0058f8dd561b90ffdd0f734c6a30e5e4")],
        "test": [(_base + "qmnist-test-images-idx3-ubyte.gz", "1394631089c404de565df7b7aeaf9412"),
                 (_base + "qmnist-test-labels-idx2-int.gz", "5b5b05890a5e13444e108efe57b788aa")],
        "nist": [(_base + "xnist-images-idx3-ubyte.xz", "7f124b3b8ab81486c9d8c2749c17f834"),
                 (_base + "xnist-labels-idx2-int.xz", "5ed0e788978e45d4a8bd4b7caec3d79d")],
    }

    def __init__(self, root: str | Path, what: str | None = None, compat: bool = True,
                 train: bool = True, **kwargs: Any) -> None:
        if what is None:
            what = "train" if train else "test"
        self.what = verify_str_arg(what, "what", tuple(self.subsets.keys()))
        self.compat = compat
        self.data_file = what + ".pt"
        self.training_file = self.data_file
        self.test_file = self.data_file
        super().__init__(root, train, **kwargs)

    def _file(self, i: int) -> str:
        url, _ = self.resources[self.subsets[self.what]][i]
        return os.path.join(self.raw_folder, os.path.splitext(os.path.basename(url))[0])

    @property
    def images_file(self) -> str:
        return self._file(0)

    @property
    def labels_file(self) -> str:
        return self._file(1)

    def _split_files(self) -> tuple[str, str]:
        return self.images_file, self.labels_file

    def _load_data(self) -> tuple[ember.Tensor, ember.Tensor]:
        data = read_sn3_pascalvincent_tensor(_idx_path(self.images_file))
        if data.dtype != ember.uint8:
            raise TypeError(f"data should be of dtype ember.uint8 instead of {data.dtype}")
        if data.ndim != 3:
            raise ValueError(f"data should have 3 dimensions instead of {data.ndim}")
        targets = read_sn3_pascalvincent_tensor(_idx_path(self.labels_file)).long()
        if targets.ndim != 2:
            raise ValueError(f"targets should have 2 dimensions instead of {targets.ndim}")
        if self.what == "test10k":
            data, targets = data[0:10000].clone(), targets[0:10000].clone()
        elif self.what == "test50k":
            data, targets = data[10000:].clone(), targets[10000:].clone()
        return data, targets

    def download(self) -> None:
        """Download only the files of the subset asked for."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for url, md5 in self.resources[self.subsets[self.what]]:
            download_and_extract_archive(url, self.raw_folder, md5=md5)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img, target = self.data[index], self.targets[index]
        img = Image.fromarray(img.numpy())
        if self.transform is not None:
            img = self.transform(img)
        if self.compat:
            target = int(target[0])
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def extra_repr(self) -> str:
        return f"Split: {self.what}"
