"""embervision vs torchvision side by side: inference of resnet18, resnet50, mobilenet_v3_large,
vit_b_16 and mobilenet_v3_small (batch 8 at 224, no_grad), a resnet18 SGD training step (batch
16), the RandomResizedCrop + ToTensor + Normalize pipelines per image (cropping the PIL image
first, or the normalized tensor last) and the older RandomResizedCrop + flip + ToTensor +
Normalize row over all the shared ants/bees JPEGs, nms on 1000 boxes and roi_align on 256
boxes. Both models get the same weights (torchvision's random init copied into embervision;
zero-initialized tensors such as ViT's head are drawn at random first, so the outputs carry
information) and the same inputs, and the inference outputs are checked to agree before
timing. Each case is built only when it runs (``--only`` skips building the others) and
freed after it.

Prints median times and the ratio torchvision_time / ember_time (> 1: ember is faster). The
machine is shared: numbers are noisy while others run. torchvision is not in the system
Python; run it where it is installed:

    /tmp/tvenv/bin/python bench/vision.py [--reps N] [--only SUBSTRING]

``--reps`` scales every case's own (small) repeat count; the default keeps the whole run to a
few minutes on 2 cores. Without torchvision only the ember column is measured (there is no
torch reference for these models and ops in torch itself); the table says so.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from functools import partial
from pathlib import Path

import numpy as np

import ember
import ember.optim  # noqa: F401  (`import ember` alone does not load ember.optim)
from ember.nn import functional as F

import embervision
from embervision import ops as eops
from embervision import transforms as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import fmt_time, median_time, print_table  # noqa: E402

try:
    import torch
    import torchvision
    from torchvision import ops as tops
    from torchvision import transforms as TT
except ImportError:
    torch = torchvision = None

IMAGES = (Path(__file__).resolve().parents[1].parent / "shared" / "data" / "vision"
          / "imagefolder_hymenoptera_mini")
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def pil_images():
    """The shared JPEGs as RGB PIL images (or 12 random 500x375 ones when the folder is absent)."""
    from PIL import Image

    files = sorted(p for p in IMAGES.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg"))
    if files:
        return [Image.open(p).convert("RGB") for p in files], f"{len(files)} shared JPEGs"
    rng = np.random.default_rng(0)
    return ([Image.fromarray(rng.integers(0, 256, (375, 500, 3), dtype=np.uint8))
             for _ in range(12)], "12 random 500x375 images (../shared/data is absent)")


def twin_models(name: str):
    """(ember model, torchvision model or None) with identical weights, both in eval mode."""
    em = getattr(embervision.models, name)()
    if torchvision is None:
        return em.eval(), None
    tm = getattr(torchvision.models, name)()
    with torch.no_grad():
        for p in tm.parameters():
            if p.ndim > 0 and not p.any():  # zero init (ViT's head): outputs would all be 0
                p.normal_(std=0.02)
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return em.eval(), tm.eval()


def check_close(name: str, e_out, t_out, tol: float = 1e-3) -> None:
    diff = float(np.abs(np.asarray(e_out.detach()) - t_out.detach().numpy()).max())
    scale = float(np.abs(t_out.detach().numpy()).max()) or 1.0
    if diff > tol * max(scale, 1.0):
        raise SystemExit(f"{name}: ember and torchvision disagree (max abs diff {diff:.3g})")


def random_boxes(rng, n: int, size: float) -> np.ndarray:
    xy = rng.uniform(0, size * 0.8, (n, 2))
    wh = rng.uniform(size * 0.02, size * 0.2, (n, 2))
    return np.concatenate([xy, xy + wh], 1).astype(np.float32)


def batch(n: int):
    """(ember images, ember labels, torch images, torch labels) of n random 3x224x224 inputs."""
    rng = np.random.default_rng(n)
    x = rng.standard_normal((n, 3, 224, 224)).astype(np.float32)
    y = rng.integers(0, 1000, n)
    return (ember.tensor(x), ember.tensor(y)) + ((torch.tensor(x), torch.tensor(y)) if torch
                                                 else (None, None))


def inference(name: str):
    em, tm = twin_models(name)
    ex, _, tx, _ = batch(8)
    with ember.no_grad():
        e_out = em(ex)
    if tm is not None:
        with torch.no_grad():
            check_close(name, e_out, tm(tx))

    def e_infer():
        with ember.no_grad():
            em(ex)

    def t_infer():
        with torch.no_grad():
            tm(tx)

    return e_infer, tm and t_infer


def train_step(name: str, n: int):
    em, tm = twin_models(name)
    ex, ey, tx, ty = batch(n)
    em.train()
    e_opt = ember.optim.SGD(em.parameters(), lr=1e-3, momentum=0.9)

    def e_step():
        e_opt.zero_grad()
        F.cross_entropy(em(ex), ey).backward()
        e_opt.step()

    if tm is None:
        return e_step, None
    tm.train()
    t_opt = torch.optim.SGD(tm.parameters(), lr=1e-3, momentum=0.9)

    def t_step():
        t_opt.zero_grad()
        torch.nn.functional.cross_entropy(tm(tx), ty).backward()
        t_opt.step()

    return e_step, t_step


def per_image(images, e_pipe, t_pipe):
    """One image per call, cycling through them (time with number=len(images))."""
    ei, ti = itertools.cycle(images), itertools.cycle(images)
    return (lambda: e_pipe(next(ei))), t_pipe and (lambda: t_pipe(next(ti)))


def crop_first(images):
    e_pipe = ET.Compose([ET.RandomResizedCrop(224), ET.ToTensor(), ET.Normalize(MEAN, STD)])
    t_pipe = torchvision and TT.Compose([TT.RandomResizedCrop(224), TT.ToTensor(),
                                         TT.Normalize(MEAN, STD)])
    return per_image(images, e_pipe, t_pipe)


def crop_last(images):
    e_pipe = ET.Compose([ET.ToTensor(), ET.Normalize(MEAN, STD), ET.RandomResizedCrop(224)])
    t_pipe = torchvision and TT.Compose([TT.ToTensor(), TT.Normalize(MEAN, STD),
                                         TT.RandomResizedCrop(224)])
    return per_image(images, e_pipe, t_pipe)


def flip_pipeline(images):
    e_pipe = ET.Compose([ET.RandomResizedCrop(224), ET.RandomHorizontalFlip(), ET.ToTensor(),
                         ET.Normalize(MEAN, STD)])
    t_pipe = torchvision and TT.Compose([TT.RandomResizedCrop(224), TT.RandomHorizontalFlip(),
                                         TT.ToTensor(), TT.Normalize(MEAN, STD)])
    return (lambda: [e_pipe(im) for im in images],
            t_pipe and (lambda: [t_pipe(im) for im in images]))


def nms_case():
    rng = np.random.default_rng(0)
    boxes, scores = random_boxes(rng, 1000, 800.0), rng.uniform(0, 1, 1000).astype(np.float32)
    eb, es = ember.tensor(boxes), ember.tensor(scores)
    t_nms = None
    if torchvision is not None:
        tb, ts = torch.tensor(boxes), torch.tensor(scores)
        if not np.array_equal(np.asarray(eops.nms(eb, es, 0.5)), tops.nms(tb, ts, 0.5).numpy()):
            raise SystemExit("nms: ember and torchvision keep different boxes")

        def t_nms():
            tops.nms(tb, ts, 0.5)

    return (lambda: eops.nms(eb, es, 0.5)), t_nms


def roi_align_case():
    rng = np.random.default_rng(1)
    feat = rng.standard_normal((2, 256, 50, 50)).astype(np.float32)
    rois = np.concatenate([rng.integers(0, 2, (256, 1)).astype(np.float32),
                           random_boxes(rng, 256, 200.0)], 1)
    ef, er = ember.tensor(feat), ember.tensor(rois)
    kwargs = dict(output_size=7, spatial_scale=0.25, sampling_ratio=2, aligned=True)
    t_roi = None
    if torchvision is not None:
        tf, tr = torch.tensor(feat), torch.tensor(rois)
        check_close("roi_align", eops.roi_align(ef, er, **kwargs), tops.roi_align(tf, tr, **kwargs))

        def t_roi():
            tops.roi_align(tf, tr, **kwargs)

    return (lambda: eops.roi_align(ef, er, **kwargs)), t_roi


def build_cases(images):
    """name -> (builder of (ember_fn, torch_fn or None), repeats, calls per sample)."""
    n_img = len(images)
    cases = {f"{name} inference batch 8x3x224x224": (partial(inference, name), reps, 1)
             for name, reps in (("resnet18", 5), ("resnet50", 3), ("mobilenet_v3_large", 5),
                                ("vit_b_16", 3), ("mobilenet_v3_small", 5))}
    cases["resnet18 train step (fwd+bwd+SGD) batch 16"] = (partial(train_step, "resnet18", 16),
                                                           3, 1)
    # ~1 ms per image: 15 passes over the images cost well under a second and steady the median
    cases["RandomResizedCrop+ToTensor+Normalize /image"] = (partial(crop_first, images), 15, n_img)
    cases["ToTensor+Normalize+RandomResizedCrop /image"] = (partial(crop_last, images), 15, n_img)
    cases[f"transforms pipeline + flip, {n_img} PIL images"] = (partial(flip_pipeline, images),
                                                                 5, 1)
    cases["nms 1000 boxes iou 0.5"] = (nms_case, 5, 20)
    cases["roi_align 2x256x50x50, 256 boxes -> 7x7"] = (roi_align_case, 5, 1)
    return cases


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=float, default=1.0,
                    help="multiply each case's repeat count by this")
    ap.add_argument("--only", default="", help="run only cases whose name contains this")
    args = ap.parse_args()
    if torch is not None:
        torch.set_num_threads(ember.get_num_threads())
    images, about = pil_images()
    rows, alone = [], []
    for name, (build, reps, number) in build_cases(images).items():
        if args.only not in name:
            continue
        efn, tfn = build()
        reps = max(1, round(reps * args.reps))
        te = median_time(efn, reps, number, warmup=1)
        if tfn is None:
            alone.append((name, te))
            continue
        tt = median_time(tfn, reps, number, warmup=1)
        rows.append((name, te, tt, tt / te))
        print(f"  {name}: ember {fmt_time(te)}, torchvision {fmt_time(tt)}", flush=True)
        del efn, tfn
    threads = f"ember {ember.get_num_threads()}" + (
        f", torch {torch.get_num_threads()}" if torch is not None else "")
    print(f"threads: {threads}; images: {about}")
    if rows:
        print_table(f"embervision vs torchvision {torchvision.__version__} "
                    f"(ratio = torchvision / ember)", rows)
    if alone:
        print("\nember only: torchvision is not importable here, so there is no reference "
              "(run with /tmp/tvenv/bin/python or pip install torchvision)")
        for name, te in alone:
            print(f"{name:44s} {fmt_time(te):>12s}")


if __name__ == "__main__":
    main()
