#!/usr/bin/env python3
"""Export every torchvision classifier of issue 10 at reduced width and depth, with both PyTorch exporters.

The fixtures under ``Tests/Fixtures/models/`` are what the model-zoo test (``Tests/python/test_model_zoo.py``)
runs through the engine and ONNX Runtime, in CI, without torch. Each architecture is torchvision's own
model class (same blocks, same forward code, so the same ONNX operators and shape subgraphs as the
full-size model), built with fewer blocks where the constructor allows it and with every channel count
divided by a factor, and random weights from a fixed seed (batch-norm statistics randomised too, so a
wrong epsilon or a skipped normalisation shows). Each is exported twice:

* ``ARCH-dynamo.onnx``: ``torch.onnx.export(..., dynamo=True)`` at its default opset,
* ``ARCH-legacy17.onnx``: ``torch.onnx.export(..., dynamo=False, opset_version=17)``,
* ``ARCH-dynamo-dynamic.onnx`` / ``ARCH-legacy17-dynamic.onnx`` for a few: symbolic batch, height and width,

plus a handful of older legacy opsets (``ARCH-legacyN.onnx``, N in 7/9/11/13) where the exporter can
produce them. ``manifest.json`` records, per file, the architecture, exporter, opset and input shape.
A file that fails to export is reported and left out (the manifest says why), never written half.

Usage (needs torch, torchvision, onnx and onnxscript; not part of CI)::

    /work/torchenv/bin/python scripts/make_model_fixtures.py [--out Tests/Fixtures/models] [--only resnet18,...]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import warnings
from pathlib import Path

import onnx
import torch
import torchvision
from torch import nn
from torchvision import models as tvm

REPO = Path(__file__).resolve().parents[1]
MAX_BYTES = 1 << 20
SEED = 10
# Older legacy opsets: a handful of (arch, opset) pairs, not the full product.
# (vit_b_16 has no legacy export below opset 14: scaled_dot_product_attention needs 14.)
OLD_OPSETS = [("resnet18", 7), ("resnet18", 9), ("squeezenet1_1", 9), ("densenet121", 11), ("googlenet", 11),
              ("mobilenet_v2", 13), ("convnext_tiny", 13)]


# Exports with symbolic batch/height/width (``ARCH-EXPORTER-dynamic.onnx``): their shape subgraphs are only
# fixed by the input size at plan time. The manifest gives the size to test them at, unlike the traced one.
# (swin_t's dynamo export specialises the sizes to the traced ones, so it is not among them.)
DYNAMIC = {("resnet18", "legacy"): (1, 3, 80, 96), ("resnet18", "dynamo"): (2, 3, 96, 80),
           ("vit_b_16", "legacy"): (2, 3, 64, 64)}


def shrink(module: nn.Module, f: int) -> nn.Module:
    """Divide every channel count of the Conv2d/Linear/BatchNorm2d layers under ``module`` by ``f``.

    The image's 3 input channels stay; a depthwise convolution stays depthwise. Build the model with
    ``num_classes = 10 * f`` so that the classifier ends with 10 classes.
    """
    for name, child in list(module.named_children()):
        if isinstance(child, nn.Conv2d):
            cin = child.in_channels if child.in_channels == 3 else child.in_channels // f
            groups = cin if child.groups == child.in_channels and child.groups > 1 else child.groups
            new = nn.Conv2d(cin, child.out_channels // f, child.kernel_size, child.stride, child.padding,
                            child.dilation, groups, child.bias is not None)
        elif isinstance(child, nn.Linear):
            new = nn.Linear(child.in_features // f, child.out_features // f, child.bias is not None)
        elif isinstance(child, nn.BatchNorm2d):
            new = nn.BatchNorm2d(child.num_features // f, child.eps, child.momentum)
        else:
            shrink(child, f)
            continue
        setattr(module, name, new)
    return module


def small_classifier(model: nn.Module, hidden: int = 32) -> nn.Module:
    """VGG's and AlexNet's three-layer classifier with `hidden` units: the same ops, a fraction of the bytes."""
    linears = [m for m in model.classifier if isinstance(m, nn.Linear)]
    model.classifier = nn.Sequential(
        nn.Dropout(0.5), nn.Linear(linears[0].in_features, hidden), nn.ReLU(inplace=True),
        nn.Dropout(0.5), nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, linears[-1].out_features))
    return model


def build(arch: str) -> tuple[nn.Module, tuple[int, int, int, int]]:
    """The reduced model and its input shape."""
    s64 = (1, 3, 64, 64)
    if arch == "resnet18":
        return shrink(tvm.ResNet(tvm.resnet.BasicBlock, [1, 1, 1, 1], num_classes=160), 16), s64
    if arch == "resnet50":
        return shrink(tvm.ResNet(tvm.resnet.Bottleneck, [1, 1, 1, 1], num_classes=160), 16), s64
    if arch == "googlenet":
        m = tvm.GoogLeNet(num_classes=160, aux_logits=False, transform_input=False, init_weights=True)
        return shrink(m, 16), s64
    if arch == "inception_v3":
        m = tvm.Inception3(num_classes=320, aux_logits=False, transform_input=False, init_weights=False)
        return shrink(m, 32), (1, 3, 299, 299)
    if arch == "vgg16":
        return small_classifier(shrink(tvm.vgg16(weights=None, num_classes=320), 32)), (1, 3, 224, 224)
    if arch == "alexnet":
        return small_classifier(shrink(tvm.alexnet(weights=None, num_classes=320), 32)), (1, 3, 224, 224)
    if arch == "squeezenet1_1":
        return shrink(tvm.squeezenet1_1(weights=None, num_classes=80), 8), s64
    if arch == "densenet121":
        return tvm.DenseNet(growth_rate=8, block_config=(2, 2, 2, 2), num_init_features=16, bn_size=2,
                            num_classes=10), s64
    if arch == "mobilenet_v2":
        setting = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 1, 2], [6, 64, 1, 2], [6, 96, 1, 1], [6, 160, 1, 2], [6, 320, 1, 1]]
        m = tvm.MobileNetV2(num_classes=10, width_mult=0.25, inverted_residual_setting=setting)
        # The 1280-channel head is most of the bytes; 160 keeps its ops.
        m.features[-1] = torchvision.ops.Conv2dNormActivation(80, 160, 1, activation_layer=nn.ReLU6)
        m.classifier[-1] = nn.Linear(160, 10)
        return m, s64
    if arch == "mobilenet_v3_large":
        setting, last = tvm.mobilenetv3._mobilenet_v3_conf("mobilenet_v3_large", width_mult=0.15, reduced_tail=True)
        return tvm.MobileNetV3(setting, last, num_classes=10), s64
    if arch == "efficientnet_b0":
        setting, last = tvm.efficientnet._efficientnet_conf("efficientnet_b0", width_mult=0.1, depth_mult=0.5)
        return tvm.EfficientNet(setting, dropout=0.2, stochastic_depth_prob=0.0, num_classes=10, last_channel=last), s64
    if arch == "shufflenet_v2_x1_0":
        return tvm.ShuffleNetV2([2, 1, 1], [8, 16, 32, 64, 128], num_classes=10), s64
    if arch == "regnet_y_400mf":
        params = tvm.regnet.BlockParams.from_init_params(depth=4, w_0=16, w_a=8.0, w_m=2.0, group_width=8, se_ratio=0.25)
        return tvm.RegNet(params, num_classes=10), s64
    if arch == "mnasnet1_0":
        m = tvm.MNASNet(alpha=0.1, num_classes=10)
        head = m.layers[14].in_channels
        m.layers[14] = nn.Conv2d(head, 160, 1, bias=False)  # the 1280-channel head, narrowed like MobileNetV2's
        m.layers[15] = nn.BatchNorm2d(160)
        m.classifier[-1] = nn.Linear(160, 10)
        return m, s64
    if arch == "convnext_tiny":
        cfg = tvm.convnext.CNBlockConfig
        setting = [cfg(8, 16, 1), cfg(16, 32, 1), cfg(32, 64, 2), cfg(64, None, 1)]
        return tvm.ConvNeXt(setting, stochastic_depth_prob=0.0, num_classes=10), s64
    if arch == "vit_b_16":
        return tvm.VisionTransformer(image_size=64, patch_size=16, num_layers=2, num_heads=2, hidden_dim=32,
                                     mlp_dim=64, num_classes=10), s64
    if arch == "swin_t":
        # 112x112: stages of 28, 14, 7 and 4 (padded to the window) tokens a side; the shifted-window masks
        # are constants in legacy exports, so larger inputs make larger files.
        return tvm.SwinTransformer(patch_size=[4, 4], embed_dim=8, depths=[2, 2, 1, 1], num_heads=[1, 1, 2, 2],
                                   window_size=[7, 7], stochastic_depth_prob=0.0, num_classes=10), (1, 3, 112, 112)
    raise ValueError(arch)


ARCHS = ["resnet18", "resnet50", "googlenet", "inception_v3", "vgg16", "alexnet", "squeezenet1_1",
         "densenet121", "mobilenet_v2", "mobilenet_v3_large", "efficientnet_b0", "shufflenet_v2_x1_0",
         "regnet_y_400mf", "mnasnet1_0", "convnext_tiny", "vit_b_16", "swin_t"]


def randomize(model: nn.Module) -> nn.Module:
    """Non-trivial normalisation parameters and statistics (defaults are 1/0, which hide epsilon bugs)."""
    g = torch.Generator().manual_seed(SEED)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)) or type(m).__name__ == "LayerNorm2d":
                if getattr(m, "weight", None) is not None:
                    m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                    m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
    return model.eval()


def strip_metadata(proto: onnx.ModelProto) -> onnx.ModelProto:
    """Drop the dynamo exporter's per-node metadata (stack traces, local paths): a third of the bytes."""
    for node in proto.graph.node:
        del node.metadata_props[:]
    return proto


def export(model: nn.Module, shape, exporter: str, opset: int | None, dynamic: bool = False) -> bytes:
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(SEED))
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if exporter == "dynamo":
            dims = {"x": {0: torch.export.Dim("batch", max=64), 2: torch.export.Dim("height", min=32, max=1024),
                          3: torch.export.Dim("width", min=32, max=1024)}} if dynamic else None
            prog = torch.onnx.export(model, (x,), dynamo=True, input_names=["input"], output_names=["logits"],
                                     verbose=False, report=False, dynamic_shapes=dims)
            prog.optimize()
            data = prog.model_proto.SerializeToString()
            return data
        # Outside torch.no_grad(): inside it, ViT's fused attention has no ONNX form (issue 10).
        axes = {"input": {0: "batch", 2: "height", 3: "width"}, "logits": {0: "batch"}} if dynamic else None
        torch.onnx.export(model, (x,), buf, dynamo=False, opset_version=opset, input_names=["input"],
                          output_names=["logits"], do_constant_folding=True, dynamic_axes=axes)
    return buf.getvalue()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=REPO / "Tests" / "Fixtures" / "models")
    ap.add_argument("--only", default="", help="comma-separated architectures (default: all)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    only = [a for a in args.only.split(",") if a] or ARCHS
    manifest_path = args.out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"files": {}, "failed": {}}
    jobs = [(a, "dynamo", None, False) for a in only] + [(a, "legacy", 17, False) for a in only]
    jobs += [(a, "legacy", o, False) for a, o in OLD_OPSETS if a in only]
    jobs += [(a, e, None if e == "dynamo" else 17, True) for a, e in DYNAMIC if a in only]
    for arch, exporter, opset, dynamic in jobs:
        name = f"{arch}-dynamo" if exporter == "dynamo" else f"{arch}-legacy{opset}"
        name += "-dynamic.onnx" if dynamic else ".onnx"
        torch.manual_seed(SEED)
        model, shape = build(arch)
        randomize(model)
        try:
            data = export(model, shape, exporter, opset, dynamic)
            proto = strip_metadata(onnx.load_from_string(data))
            onnx.checker.check_model(proto)
            data = proto.SerializeToString()
        except Exception as e:  # report and go on: the manifest records what could not be exported
            why = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300]
            print(f"FAILED {name}: {why}", file=sys.stderr)
            manifest["failed"][name] = why
            manifest["files"].pop(name, None)
            continue
        if len(data) > MAX_BYTES:
            print(f"FAILED {name}: {len(data)} bytes > 1 MiB", file=sys.stderr)
            manifest["failed"][name] = f"{len(data)} bytes, over 1 MiB"
            continue
        (args.out / name).write_bytes(data)
        manifest["failed"].pop(name, None)
        opset_used = next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
        manifest["files"][name] = {"arch": arch, "exporter": exporter, "opset": opset_used, "input_shape": list(shape)}
        if dynamic:
            manifest["files"][name].update(input_shape=list(DYNAMIC[(arch, exporter)]), export_shape=list(shape), dynamic=True)
        print(f"{name}: {len(data) / 1024:.0f} KiB, opset {opset_used}, {len(proto.graph.node)} nodes")
    manifest["torch"] = torch.__version__
    manifest["torchvision"] = torchvision.__version__
    manifest["files"] = dict(sorted(manifest["files"].items()))
    manifest["failed"] = dict(sorted(manifest["failed"].items()))
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
