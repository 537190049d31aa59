"""Random images, reproducible per index."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember

from .vision import VisionDataset


class FakeData(VisionDataset):
    """A dataset of ``size`` random images (PIL) with random int labels.

    Item ``i`` is drawn from ember's generator seeded with ``i + random_offset`` and the
    global generator state is restored afterwards, so items are the same on every access.

    Example:
        >>> ds = FakeData(size=3, image_size=(3, 8, 8), num_classes=4)
        >>> img, label = ds[0]
        >>> img.size, 0 <= label < 4
        ((8, 8), True)
    """

    def __init__(self, size: int = 1000, image_size: tuple[int, ...] = (3, 224, 224),
                 num_classes: int = 10, transform: Callable | None = None,
                 target_transform: Callable | None = None, random_offset: int = 0) -> None:
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from ..transforms import ToPILImage

        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        state = ember.get_rng_state()
        ember.manual_seed(index + self.random_offset)
        img = ember.randn(*self.image_size)
        target = ember.randint(0, self.num_classes, size=(1,), dtype=ember.long)[0]
        ember.set_rng_state(state)
        img = ToPILImage()(img)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, int(target.item()) if isinstance(target, ember.Tensor) else target

    def __len__(self) -> int:
        return self.size
