"""``simlay.Client``: a small, numpy-friendly client of simlayd over gRPC."""

from __future__ import annotations

import os
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

import grpc
import numpy as np

from . import _images
from ._choices import choice
from ._errors import NotFoundError, SimlayError, from_rpc_error
from ._hover import HoverSession
from ._matches import SimilarityMaps, matches, warn_all
from ._render import RenderOptions, render_proto
from ._proto import health_pb2, health_pb2_grpc
from ._proto import simlay_pb2 as pb
from ._proto import simlay_pb2_grpc
from ._sweep import SweepResult, sweep_query, sweep_result
from ._results import (ImageInfo, Layer, Model, NmfResult, PcaResult, SyncMaps, Viewer, _ipython, float_tensor,
                       int32_tensor, png_image)

__all__ = ["Client", "default_target"]

DEFAULT_TIMEOUT = 300.0
# Maps, viewer pages and overlay PNGs can exceed gRPC's 4 MiB default (the CLI allows 1 GiB too).
MAX_MESSAGE_BYTES = 1 << 30

METRICS = {"cosine": pb.METRIC_COSINE, "dot": pb.METRIC_DOT, "euclidean": pb.METRIC_EUCLIDEAN}
NMF_POLICIES = {"refuse": pb.NMF_POLICY_REFUSE, "clamp": pb.NMF_POLICY_CLAMP, "split": pb.NMF_POLICY_SPLIT}
NMF_INITS = {"nndsvda": pb.NMF_INIT_NNDSVDA, "nndsvd": pb.NMF_INIT_NNDSVD, "random": pb.NMF_INIT_RANDOM}
TRANSFORMS = {"rotate": pb.TRANSFORM_ROTATE, "scale": pb.TRANSFORM_SCALE}
FILLS = {"mean": pb.FILL_MEAN, "black": pb.FILL_BLACK}

ImageRef = Union[int, str]
Images = Sequence[Any]


def default_target() -> str:
    """simlayd's default socket, as ``simlayd``/``simlay`` use it: ``$XDG_RUNTIME_DIR/simlay/simlayd.sock``,
    or ``/tmp/simlay-<uid>/simlayd.sock`` when XDG_RUNTIME_DIR is unset or empty."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime:
        return "unix:" + os.path.join(runtime, "simlay", "simlayd.sock")
    return f"unix:/tmp/simlay-{os.getuid()}/simlayd.sock"


def _grpc_target(target: Optional[str]) -> str:
    """A gRPC target for what the user wrote: ``unix:PATH``, ``unix:///ABS/PATH``, a bare path starting with
    ``/`` or ``.``, ``HOST:PORT``, ``[IPv6]:PORT``, or any gRPC target URI (``dns:///...``, ``ipv4:...``)."""
    if target is None:
        return default_target()
    target = os.fspath(target).strip()
    if not target:
        raise ValueError("empty target: give unix:PATH, HOST:PORT or leave it out for the default socket")
    if target.startswith("unix://"):
        path = target[len("unix://"):]
        return "unix:" + path
    if target.startswith(("/", ".")):
        return "unix:" + target
    return target


_enum = choice


def _is_image_id(item: Any) -> bool:
    return isinstance(item, str) and not os.path.isfile(item)


def _image_list(images) -> list:
    """``images`` as a list: one image (a path, bytes, a PIL image, an [H,W,C] array) becomes a list of one;
    a uint8 batch [N,H,W,C] becomes N arrays."""
    if isinstance(images, np.ndarray) and images.ndim == 4:
        return list(images)
    if isinstance(images, (str, os.PathLike, bytes, bytearray, memoryview, np.ndarray)) or \
            _images.is_uploadable(images):
        return [images]
    return list(images)


def _message_dict(message) -> dict:
    """A protobuf message as plain Python values (every field, defaults included)."""
    out = {}
    for fd in message.DESCRIPTOR.fields:
        value = getattr(message, fd.name)
        repeated = getattr(fd, "is_repeated", None)
        repeated = repeated if repeated is not None else fd.label == fd.LABEL_REPEATED
        if fd.message_type is not None:
            out[fd.name] = [_message_dict(v) for v in value] if repeated else _message_dict(value)
        else:
            out[fd.name] = list(value) if repeated else value
    return out


class Client:
    """A connection to simlayd.

    ``target``: ``"unix:///abs/path.sock"``, ``"unix:path"``, ``"host:port"``, ``"[::1]:port"`` or any gRPC
    target (``"dns:///host:port"``); None = the daemon's default socket (``default_target()``). ``token`` or
    ``token_file``: the bearer token a daemon on a non-loopback address requires. ``timeout``: seconds per
    call (None = no deadline); a first query on new images runs forward passes, so keep it generous.
    ``tls=True`` connects with TLS trusting the system's CAs; ``tls_ca`` (a PEM file) trusts exactly those
    CAs (implies TLS); ``tls_cert`` and ``tls_key`` present a client certificate to a daemon started with
    ``--tls-client-ca``.

    Arrays come back as numpy float32/int32. Failures raise ``simlay.SimlayError`` subclasses with ``.code``
    (the gRPC status name) and the daemon's message as ``str(error)``. Usable as a context manager; several
    clients (e.g. notebook kernels) may share one daemon: images are content-addressed, so they share
    ids and cached activations.
    """

    def __init__(self, target: Optional[str] = None, token: Optional[str] = None,
                 token_file: Optional[Union[str, os.PathLike]] = None, timeout: Optional[float] = DEFAULT_TIMEOUT,
                 *, tls: bool = False, tls_ca: Optional[Union[str, os.PathLike]] = None,
                 tls_cert: Optional[Union[str, os.PathLike]] = None,
                 tls_key: Optional[Union[str, os.PathLike]] = None):
        if token is not None and token_file is not None:
            raise ValueError("give token or token_file, not both")
        if token_file is not None:
            with open(token_file, encoding="utf-8") as f:
                token = f.read().strip()
            if not token:
                raise ValueError(f"token file {os.fspath(token_file)!r} is empty")
        self.target = _grpc_target(target)
        self.timeout = timeout
        # The daemon refuses answers over 4 MiB (stock clients' limit) unless the call says it takes more.
        self._metadata = (("simlay-max-answer-bytes", str(MAX_MESSAGE_BYTES)),) + (
            (("authorization", f"Bearer {token}"),) if token else ())
        options = [
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ]
        if (tls_cert is None) != (tls_key is None):
            raise ValueError("give tls_cert and tls_key together")
        if tls or tls_ca is not None or tls_cert is not None:
            if self.target.startswith("unix:"):
                raise ValueError(f"TLS is for TCP targets; {self.target!r} is a Unix socket")

            def read(path):
                return None if path is None else open(path, "rb").read()

            credentials = grpc.ssl_channel_credentials(
                root_certificates=read(tls_ca), private_key=read(tls_key), certificate_chain=read(tls_cert))
            self._channel = grpc.secure_channel(self.target, credentials, options=options)
        else:
            self._channel = grpc.insecure_channel(self.target, options=options)
        self._stub = simlay_pb2_grpc.SimlayStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)
        self._closed = False
        self._image_sizes: dict[str, tuple[int, int]] = {}  # id -> (width, height), from add_images

    # -- raw gRPC access

    @property
    def channel(self) -> grpc.Channel:
        """The connection's ``grpc.Channel`` (for other services or raw calls; closed by ``close()``)."""
        return self._channel

    @property
    def stub(self) -> simlay_pb2_grpc.SimlayStub:
        """The generated ``SimlayStub`` on this connection, for raw calls with ``simlay.v1`` messages (pass
        ``timeout=`` and, for a daemon with a token, ``metadata=`` yourself; errors are ``grpc.RpcError``)."""
        return self._stub

    # -- lifecycle

    def close(self) -> None:
        """Closes the connection (idempotent)."""
        if not self._closed:
            self._closed = True
            self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"simlay.Client({self.target!r})"

    def _call(self, method: str, request, stub=None):
        if self._closed:
            raise SimlayError("the client is closed", code="CANCELLED", method=method)
        fn = getattr(stub or self._stub, method)
        try:
            return fn(request, timeout=self.timeout, metadata=self._metadata)
        except grpc.RpcError as rpc_error:
            error = from_rpc_error(rpc_error, method=method, target=self.target)
        raise error  # outside the except block: no grpc traceback chained to it

    # -- daemon and models

    def health(self, service: str = "") -> str:
        """The daemon's health status name (``"SERVING"`` when it answers queries)."""
        reply = self._call("Check", health_pb2.HealthCheckRequest(service=service), stub=self._health)
        return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)

    def models(self) -> list[Model]:
        """The models the daemon holds (``Model.default`` marks the one used when ``model`` is empty)."""
        reply = self._call("ListModels", pb.ListModelsRequest())
        return [self._model(m, default=m.name == reply.default_model) for m in reply.models]

    def model(self, name: str = "") -> Model:
        """One model by name ("" = the default model). NotFoundError naming it when unknown."""
        models = self.models()
        for m in models:
            if (m.name == name) if name else m.default:
                return m
        known = ", ".join(m.name for m in models) or "none"
        raise NotFoundError(f"unknown model {name!r} (the daemon holds: {known})", method="ListModels")

    def layers(self, model: str = "") -> list[Layer]:
        """A model's layers in execution order ("" = the default model): name, channels, height, width, strides."""
        return list(self.model(model).layers)

    def load_model(self, name: str, path: Union[str, os.PathLike], *, mean: Optional[Sequence[float]] = None,
                   std: Optional[Sequence[float]] = None, input_size: Optional[tuple[int, int]] = None,
                   channel_order: Optional[str] = None) -> Model:
        """Loads an ONNX file (a path on the daemon's machine, under one of its ``--model-dir`` directories) as
        ``name``, or returns it if already loaded. ``mean``/``std`` (R, G, B in 0..255 units), ``input_size``
        (height, width) and ``channel_order`` ("rgb"/"bgr") give the preprocessing of a model whose file has no
        simlay.* metadata; None keeps the file's."""
        request = pb.LoadModelRequest(name=name, path=os.fspath(path), mean=list(mean or ()), std=list(std or ()),
                                      channel_order=channel_order or "")
        if input_size is not None:
            request.input_height, request.input_width = int(input_size[0]), int(input_size[1])
        reply = self._call("LoadModel", request)
        return self._model(reply)

    def unload_model(self, name: str) -> dict:
        """Gives up the model ``name`` in the daemon: its cached activations are dropped and its weights freed
        unless another name shares the file. Returns the reply as a dict (``weights_freed``,
        ``cache_entries_freed``, ...). Raises ``NotFoundError`` for an unknown name; the default model stays."""
        return _message_dict(self._call("UnloadModel", pb.UnloadModelRequest(name=name)))

    def stats(self) -> dict:
        """Daemon statistics as a dict: models, cache (bytes, entries, hits, misses, forward_passes, ...),
        methods (requests, errors, latency percentiles), uptime_seconds, images, image_bytes (pixels, names
        and ids), model_bytes, nmf_result_bytes, cancelled_jobs, and the limits and budgets."""
        return _message_dict(self._call("Stats", pb.StatsRequest()))

    @staticmethod
    def _model(m, default: bool = False) -> Model:
        layers = tuple(Layer(name=layer.name, channels=layer.channels, height=layer.height, width=layer.width,
                             stride_y=layer.stride_y, stride_x=layer.stride_x) for layer in m.layers)
        return Model(name=m.name, path=m.path, input_height=m.input_height, input_width=m.input_width,
                     mean=tuple(m.mean), std=tuple(m.std), layers=layers, default=default,
                     channel_order=m.channel_order or "rgb", preprocessing_source=m.preprocessing_source)

    # -- images

    def add_images(self, images: Union[Images, Any], model: str = "", names: Optional[Sequence[str]] = None,
                   info: bool = False) -> Union[list[str], list[ImageInfo]]:
        """Uploads images for ``model`` ("" = the default model) and returns their ids, in order.

        Each image is a path (its PNG/JPEG bytes are sent as they are), PNG/JPEG bytes, a PIL image or a
        uint8 numpy array [H,W,3] (both encoded as PNG); a uint8 batch [N,H,W,3] is N images. ``names``: display names (default: file names).
        Ids are content-addressed: adding the same image again, from any client, gives the same id. With
        ``info=True`` returns ``ImageInfo`` records (id, width, height, name, existed) instead.
        """
        images = _image_list(images)
        if names is not None and len(names) != len(images):
            raise ValueError(f"{len(names)} names for {len(images)} images")
        uploads = []
        for i, item in enumerate(images):
            data, name = _images.to_upload(item, i)
            uploads.append(pb.ImageUpload(data=data, name=names[i] if names is not None else name))
        reply = self._call("AddImages", pb.AddImagesRequest(model=model, images=uploads))
        infos = [ImageInfo(id=r.id, width=r.width, height=r.height, name=r.name, existed=r.existed)
                 for r in reply.images]
        self._image_sizes.update((i.id, (i.width, i.height)) for i in infos)
        return infos if info else [i.id for i in infos]

    def _ids(self, images, model: str) -> list[str]:
        """Image ids for ``images``: ids (strings that are not existing files) pass through; paths, bytes,
        PIL images and arrays are uploaded (in one call)."""
        items = _image_list(images)
        if not items:
            raise ValueError("no images given")
        pending = [(i, item) for i, item in enumerate(items) if not _is_image_id(item)]
        ids: list[Any] = [getattr(item, "id", item) if isinstance(item, ImageInfo) else item for item in items]
        pending = [(i, item) for i, item in pending if not isinstance(item, ImageInfo)]
        if pending:
            added = self.add_images([item for _, item in pending], model=model)
            for (i, _), image_id in zip(pending, added):
                ids[i] = image_id
        return ids

    @staticmethod
    def _image_ref(ref, ids: Sequence[str], what: str) -> str:
        if isinstance(ref, ImageInfo):
            return ref.id
        if isinstance(ref, str):
            return ref
        if isinstance(ref, (int, np.integer)) and not isinstance(ref, bool):
            index = int(ref)
            if not -len(ids) <= index < len(ids):
                raise IndexError(f"{what} image index {index} is out of range for {len(ids)} images")
            return ids[index]
        raise TypeError(f"{what} image must be an index into images or an image id, got {type(ref).__name__}")

    # -- queries

    def _query(self, query, ids: Sequence[str]):
        if isinstance(query, pb.Query):
            return query
        if isinstance(query, Mapping) and "group" in query:
            return self._group_query(query, ids)
        if isinstance(query, Mapping):
            keys = set(query)
            unknown = keys - {"image", "cell", "region", "pixel", "y", "x"}
            if unknown:
                raise ValueError(f"unknown query keys {sorted(unknown)}: use image and one of cell=(y, x), "
                                 "region=(y0, x0, y1, x1), pixel=(px, py)")
            q = pb.Query(image_id=self._image_ref(query.get("image", 0), ids, "query"))
            kinds = [k for k in ("cell", "region", "pixel") if k in keys] + (["yx"] if {"y", "x"} & keys else [])
            if len(kinds) != 1:
                raise ValueError("a query dict needs exactly one of cell=(y, x), region=(y0, x0, y1, x1), "
                                 "pixel=(px, py) (or y= and x=)")
            kind = kinds[0]
            if kind == "yx":
                q.cell.CopyFrom(pb.Cell(y=int(query["y"]), x=int(query["x"])))
            elif kind == "cell":
                y, x = query["cell"]
                q.cell.CopyFrom(pb.Cell(y=int(y), x=int(x)))
            elif kind == "region":
                y0, x0, y1, x1 = query["region"]
                q.region.CopyFrom(pb.Region(y0=int(y0), x0=int(x0), y1=int(y1), x1=int(x1)))
            else:
                px, py = query["pixel"]
                q.pixel.CopyFrom(pb.Pixel(px=float(px), py=float(py)))
            return q
        if isinstance(query, (tuple, list)) and len(query) == 3:
            image, y, x = query
            return pb.Query(image_id=self._image_ref(image, ids, "query"), cell=pb.Cell(y=int(y), x=int(x)))
        raise TypeError("query must be (image, y, x) with image an index into images or an id, or a dict: "
                        "{'image': i, 'cell': (y, x)} / {'image': i, 'region': (y0, x0, y1, x1)} / "
                        "{'image': i, 'pixel': (px, py)}")

    GROUP_KEYS = {"group", "k", "images", "layer", "policy", "init", "seed", "max_iter", "tolerance"}

    def _group_query(self, query: Mapping, ids: Sequence[str]):
        unknown = set(query) - self.GROUP_KEYS
        if unknown or "k" not in query:
            raise ValueError(f"an NMF group query is {{'group': g, 'k': K}} plus optional images (default: the "
                             f"similarity's images), layer, policy, init, seed, max_iter, tolerance; "
                             f"got keys {sorted(query)}")
        group_ids = [self._image_ref(i, ids, "NMF") for i in query["images"]] if "images" in query else list(ids)
        nmf = pb.NmfRequest(layer=query.get("layer", ""), image_ids=group_ids, k=int(query["k"]),
                            max_iter=int(query.get("max_iter", 0)), tolerance=float(query.get("tolerance", 0.0)),
                            policy=_enum(query.get("policy", "refuse"), NMF_POLICIES, "NMF policy"),
                            init=_enum(query.get("init", "nndsvda"), NMF_INITS, "NMF init"),
                            seed=int(query.get("seed", 0)))
        return pb.Query(group=pb.NmfGroup(nmf=nmf, group=int(query["group"])))

    def _similarity_request(self, layer, query, images, model, metric):
        ids = self._ids(images, model)
        return pb.SimilarityRequest(model=model, layer=layer, query=self._query(query, ids), target_ids=ids,
                                    metric=_enum(metric, METRICS, "metric"))

    def similarity_batch(self, *, layer: str, images: Images, queries: Sequence = (), all_cells_of=None,
                         model: str = "", metric="cosine") -> np.ndarray:
        """Many queries against ``images`` in one call: float32 [Q, N, H, W], one [N, H, W] stack per query.
        ``queries``: cells, regions or pixels in the forms ``similarity`` takes (not NMF groups);
        ``all_cells_of``: an image (index into ``images`` or an id) whose every cell, row-major, is a query
        after ``queries``. At most ``Stats.limits.max_batch_queries`` queries (simlayd --max-batch-queries)."""
        ids = self._ids(images, model)
        request = pb.SimilarityBatchRequest(model=model, layer=layer, target_ids=ids,
                                            queries=[self._query(q, ids) for q in queries],
                                            metric=_enum(metric, METRICS, "metric"))
        if all_cells_of is not None:
            request.all_cells_of = ids[all_cells_of] if isinstance(all_cells_of, int) else str(all_cells_of)
        return float_tensor(self._call("SimilarityBatch", request).maps)

    def similarity(self, *, layer: str, query, images: Images, model: str = "", metric="cosine", top_k: int = 0,
                   exclude_radius: Optional[int] = None, top_per_target: bool = False) -> np.ndarray:
        """Similarity of one query to every cell of ``images`` at ``layer``: float32 [N, H, W], one map per image.

        ``query``: ``(i, y, x)``, cell (y, x) of the layer grid of image ``i`` (an index into ``images`` or an
        image id); or a dict ``{"image": i, "cell": (y, x)}``, ``{"image": i, "region": (y0, x0, y1, x1)}``
        (mean of the cells, end exclusive) or ``{"image": i, "pixel": (px, py)}`` (the cell under a pixel of
        the original image); or an NMF group's centroid, ``{"group": g, "k": K}`` (the mean activation of the
        positions whose strongest group is g in an NMF of ``images``; optional keys ``images``, ``policy``,
        ``init``, ``seed``, ``max_iter``, ``tolerance`` as in ``nmf``). ``images``: ids from ``add_images``
        (paths, bytes, PIL images and arrays are uploaded first). ``metric``: "cosine" (default), "dot" or
        "euclidean" (negative distance).

        ``top_k`` > 0 (at most 1024): the answer is a ``SimilarityMaps``, the same array with ``.top``, the K
        most similar cells over all images (or of each image, ``top_per_target=True``) as ``Match`` records,
        decreasing, ties by lower image, then y, then x; ``exclude_radius`` R leaves out the cells of the
        query's own image within Chebyshev distance R (max(|dy|, |dx|) <= R) of the query's cells. When the
        query vector is all zero the daemon's warning is issued as a ``simlay.ZeroVectorWarning`` (and kept in
        ``.warnings``).
        """
        request = self._similarity_request(layer, query, images, model, metric)
        if top_k or exclude_radius is not None or top_per_target:
            request.top_k = int(top_k)
            request.top_per_target = bool(top_per_target)
            if exclude_radius is not None:
                request.exclude_radius = int(exclude_radius)
        reply = self._call("Similarity", request)
        issued = warn_all(reply.warnings)
        maps = float_tensor(reply.maps)
        return SimilarityMaps(maps, matches(reply), issued) if top_k else maps

    def activations(self, image, *, layer: str, model: str = "") -> np.ndarray:
        """The activation tensor of ``layer`` for one image (an id, or a path/bytes/PIL/array uploaded first),
        computed by the daemon (its model, preprocessing and cache): float32 in the layer's own shape with
        batch 1, e.g. [1, C, H, W], as ``simlay activations`` writes it. ``ResourceExhaustedError`` when it
        exceeds the daemon's message limit (``simlayd --max-message-mb``)."""
        image_id = self._ids([image], model)[0]
        reply = self._call("Activations", pb.ActivationsRequest(model=model, image_id=image_id, layer=layer))
        return float_tensor(reply.activations)

    def hover(self, *, layer: str, images: Images, model: str = "", metric="cosine") -> HoverSession:
        """A session for many queries over the same ``images`` at ``layer``, on one ``SimilarityStream`` (the
        daemon's hover path: about half the per-query cost of ``similarity`` calls). ``session.query(q)``
        takes ``similarity``'s query forms and returns the same maps. Use it as a context manager::

            with client.hover(layer="blocks.10", images=ids) as h:
                for y, x in path_of_the_mouse:
                    maps = h.query((0, y, x))
        """
        ids = self._ids(images, model)
        return HoverSession(self, layer=layer, ids=ids, model=model, metric=_enum(metric, METRICS, "metric"))

    def _sync_request(self, layers, point, images, model, metric):
        ids = self._ids(images, model)
        layers = [layers] if isinstance(layers, str) else list(layers)
        if isinstance(point, Mapping):
            image, (px, py) = point.get("image", 0), point["pixel"]
        else:
            try:
                image, px, py = point
            except (TypeError, ValueError):
                raise TypeError("point must be (image, px, py) or {'image': i, 'pixel': (px, py)}") from None
        return pb.LayerSyncRequest(model=model, layers=layers, image_id=self._image_ref(image, ids, "point"),
                                   point=pb.Pixel(px=float(px), py=float(py)), target_ids=ids,
                                   metric=_enum(metric, METRICS, "metric"))

    def sync(self, *, layers: Union[str, Sequence[str]], point, images: Images, model: str = "",
             metric="cosine") -> SyncMaps:
        """One point, several layers: ``point`` = ``(i, px, py)``, a pixel (px right, py down) of the original
        image ``i`` (index into ``images`` or an id). Returns a dict layer -> float32 maps [N, H, W] in the
        order of ``layers``; its ``cells`` attribute gives the cell under the point on each layer's grid."""
        reply = self._call("LayerSync", self._sync_request(layers, point, images, model, metric))
        return SyncMaps([(lm.layer, float_tensor(lm.maps)) for lm in reply.layers],
                        [(lm.layer, (lm.cell.y, lm.cell.x)) for lm in reply.layers], warn_all(reply.warnings))

    # -- rendering

    def render(self, images: Images, *, layer: Optional[str] = None, query=None,
               layers: Optional[Union[str, Sequence[str]]] = None, point=None, model: str = "", metric="cosine",
               options: RenderOptions = RenderOptions(), as_png: bool = False):
        """The overlay grid as a PIL image (PNG bytes with ``as_png=True``): one row per layer, one column per
        image. Either ``layer`` + ``query`` (as in ``similarity``) or ``layers`` + ``point`` (as in ``sync``):
        one Similarity or LayerSync call that answers the maps and, drawn with ``options`` (a
        ``RenderOptions``), the PNG."""
        style = render_proto(options, "options")
        if query is not None and point is None and layers is None:
            if layer is None:
                raise ValueError("render with a query needs layer=")
            request = self._similarity_request(layer, query, images, model, metric)
            request.render.CopyFrom(style)
            png = self._call("Similarity", request).rendered.png
        elif point is not None and query is None:
            if (layers is None) == (layer is None):
                raise ValueError("render with a point needs layers= (or layer=)")
            request = self._sync_request(layers if layers is not None else layer, point, images, model, metric)
            request.render.CopyFrom(style)
            png = self._call("LayerSync", request).rendered.png
        else:
            raise ValueError("render needs either layer= and query=, or layers= and point=")
        return png if as_png else png_image(png)

    # -- analyses

    def nmf(self, images: Images, *, layer: str, k: int, model: str = "", max_iter: int = 0,
            tolerance: float = 0.0, policy="refuse", init="nndsvda", seed: int = 0,
            render: Optional[RenderOptions] = None, highlight_group: Optional[int] = None) -> NmfResult:
        """Groups the activation vectors of ``layer`` across ``images`` into ``k`` non-negative factors.

        ``policy`` for negative activations: "refuse" (INVALID_ARGUMENT naming the layer), "clamp" or
        "split"; ``init``: "nndsvda" (default), "nndsvd" or "random" (from ``seed``); ``max_iter`` 0 = 200,
        ``tolerance`` 0 = 1e-4. With ``render`` (a ``RenderOptions``: its opacity, tile_size and titles apply)
        the result's ``png`` shows each image coloured by group (``highlight_group``: only that group). Returns an ``NmfResult`` (groups int32 [N, H, W], strength,
        w, h, relative_error, iterations, ...).
        """
        ids = self._ids(images, model)
        request = pb.NmfRequest(model=model, layer=layer, image_ids=ids, k=int(k), max_iter=int(max_iter),
                                tolerance=float(tolerance), policy=_enum(policy, NMF_POLICIES, "NMF policy"),
                                init=_enum(init, NMF_INITS, "NMF init"), seed=int(seed),
                                render=render_proto(render))
        if highlight_group is not None:
            request.highlight_group = int(highlight_group)
        r = self._call("Nmf", request)
        return NmfResult(layer=r.layer, height=r.height, width=r.width, columns=r.columns,
                         groups=int32_tensor(r.groups), strength=float_tensor(r.strength), w=float_tensor(r.w),
                         h=float_tensor(r.h), relative_error=r.relative_error, iterations=r.iterations,
                         solve_seconds=r.solve_seconds, png=bytes(r.png) or None)

    def pca(self, images: Images, *, layer: str, components: int = 3, model: str = "",
            foreground_threshold: Optional[float] = None, render: Optional[RenderOptions] = None) -> PcaResult:
        """Principal components of ``layer``'s cell vectors over ``images``, fitted jointly (every cell of
        every image is one row), so colours and scores compare across images. ``foreground_threshold``:
        cells whose first-component score is at most it are background (black in the picture). With
        ``render`` (its tile_size and titles apply) the result's ``png`` shows each photo above its first
        three components as RGB. Returns a ``PcaResult``."""
        ids = self._ids(images, model)
        request = pb.PcaRequest(model=model, layer=layer, image_ids=ids, components=int(components),
                                render=render_proto(render))
        if foreground_threshold is not None:
            request.foreground_threshold = float(foreground_threshold)
        r = self._call("Pca", request)
        return PcaResult(layer=r.layer, height=r.height, width=r.width, channels=r.channels,
                         components=float_tensor(r.components),
                         explained_variance=np.array(r.explained_variance, dtype=np.float64),
                         axes=float_tensor(r.axes), foreground=float_tensor(r.foreground),
                         colors=float_tensor(r.colors).astype(np.uint8), png=bytes(r.png) or None)

    def sweep(self, image, *, layer: str, transform: str, params: Iterable[float], queries: Iterable,
              model: str = "", metric="cosine", fill="mean", chart: bool = False,
              render: Optional[RenderOptions] = None, labels: Optional[Sequence[str]] = None,
              transform_space: str = "input", track_radius: Optional[int] = None) -> SweepResult:
        """Rotates (``transform="rotate"``, ``params`` in degrees, counterclockwise) or rescales
        (``"scale"``, ``params`` = factors, > 1 zooms in) one image and tracks ``queries`` through the sweep:
        ``(y, x)`` cells of the untransformed image's grid at ``layer``, or dicts ``{"cell": (y, x)}``,
        ``{"region": (y0, x0, y1, x1)}`` (the mean of its cells) or ``{"pixel": (px, py)}`` (the cell under a
        pixel of the photo). Each query's exact point (its pixel, or its cell's or region's centre) moves
        with the transform to the cell it lands in. ``transform_space``: "input" (the model input, the photo
        squashed) or "photo" (the original photo, before the squash). ``track_radius``: also the most
        similar cell within that Chebyshev distance of the tracked one. ``fill`` for pixels from outside
        the image: "mean" or "black". ``chart``: also render the line chart; ``render`` (a
        ``RenderOptions``): also render the strip of overlays. ``labels``: the queries' names (default
        "q0", "q1", ...). At most ``Stats.limits.max_sweep_queries`` queries. Returns a ``SweepResult``
        (``to_rows()`` / ``to_csv()`` give the CLI's CSV rows; ``simlay.sweep_chart`` draws several)."""
        image_id = self._ids([image], model)[0]
        queries = list(queries)
        wire = [sweep_query(q, image_id) for q in queries]
        params = [float(p) for p in params]
        labels = list(labels) if labels is not None else []
        spaces = {"input": pb.TRANSFORM_SPACE_INPUT, "photo": pb.TRANSFORM_SPACE_PHOTO}
        request = pb.SweepRequest(
            model=model, layer=layer, image_id=image_id, transform=_enum(transform, TRANSFORMS, "transform"),
            params=params, query_points=[w for w, _ in wire], metric=_enum(metric, METRICS, "metric"),
            fill=_enum(fill, FILLS, "fill"), chart=bool(chart), render=render_proto(render), query_labels=labels,
            transform_space=_enum(transform_space, spaces, "transform_space"))
        if track_radius is not None:
            request.track_radius = int(track_radius)
        r = self._call("Sweep", request)
        name = next(k for k, v in TRANSFORMS.items() if v == _enum(transform, TRANSFORMS, "transform"))
        return sweep_result(r, transform=name, space=transform_space, queries=queries, specs=[s for _, s in wire],
                            labels=labels, track_radius=track_radius)

    # -- the viewer

    def _viewer_request(self, images, layer, layers, model, metric, render, nmf_k, nmf_layer, nmf_policy, title,
                        pca=False, pca_layer="", pca_components=0, pca_foreground_threshold=None):
        if layers is None and layer is None:
            raise ValueError("give layer= (one layer) or layers= (several, shown synchronised)")
        if layers is not None and layer is not None:
            raise ValueError("give layer= or layers=, not both")
        layer_list = [layer] if layer is not None else ([layers] if isinstance(layers, str) else list(layers))
        ids = self._ids(images, model)
        if not pca and (pca_layer or pca_components or pca_foreground_threshold is not None):
            raise ValueError("pca_layer, pca_components and pca_foreground_threshold need pca=True")
        request = pb.ExportViewerRequest(
            model=model, layers=layer_list, image_ids=ids, metric=_enum(metric, METRICS, "metric"),
            render=render_proto(render), nmf_k=int(nmf_k), nmf_layer=nmf_layer,
            nmf_policy=_enum(nmf_policy, NMF_POLICIES, "NMF policy"), title=title, pca=bool(pca),
            pca_layer=pca_layer, pca_components=int(pca_components))
        if pca_foreground_threshold is not None:
            request.pca_foreground_threshold = float(pca_foreground_threshold)
        return request

    def export_html(self, images: Images, *, layer: Optional[str] = None,
                    layers: Optional[Union[str, Sequence[str]]] = None, model: str = "", metric="cosine",
                    render: Optional[RenderOptions] = None, nmf_k: int = 0,
                    nmf_layer: str = "", nmf_policy="clamp", title: str = "", pca: bool = False,
                    pca_layer: str = "", pca_components: int = 0, pca_foreground_threshold: Optional[float] = None,
                    path=None) -> str:
        """The self-contained interactive viewer page (HTML, everything embedded; hover a cell of any image to
        see its similarity maps over all images) for ``images`` at ``layer`` or ``layers`` (synchronised
        rows). ``render``: the page's style (a ``RenderOptions``; its ``tile_size`` is the longest displayed
        side, 0 = 256; value_range and titles do not apply); ``nmf_k`` > 0 adds NMF groups at ``nmf_layer``
        (default: the first layer) with a legend. ``pca=True`` adds a PCA mode (a button, key C): every tile
        shows its image's first three principal components of ``pca_layer`` (default: the first layer) as RGB,
        fitted jointly over the images by the daemon's ``pca`` (same colours; ``pca_components``, 0 = 3, and
        ``pca_foreground_threshold`` as there), with each component's explained variance. Written to
        ``path`` too when given."""
        request = self._viewer_request(images, layer, layers, model, metric, render, nmf_k, nmf_layer, nmf_policy,
                                       title, pca, pca_layer, pca_components, pca_foreground_threshold)
        page = self._call("ExportViewer", request).html
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(page)
        return page

    def _viewer_height(self, request) -> int:
        """A generous estimate of the page's height in pixels (the iframe's height where output scripts do
        not run; elsewhere the frame fits itself to the page): title, status and help (~360 px with some
        wrapping), a legend with NMF, and one row per layer as tall as its tallest tile plus its caption.
        Tiles have their longest side = render.tile_size; images of unknown size count as square."""
        size = request.render.tile_size or 256
        tallest = 0
        for image_id in request.image_ids:
            width, height = self._image_sizes.get(image_id, (1, 1))
            tallest = max(tallest, round(size * height / max(width, height, 1)))
        rows = len(request.layers) * (max(tallest, 76) + 48)
        return 360 + rows + (64 if request.nmf_k else 0) + (64 if request.pca else 0)

    def show(self, images: Images, layer: Optional[str] = None,
             layers: Optional[Union[str, Sequence[str]]] = None, *, model: str = "", metric="cosine",
             render: Optional[RenderOptions] = None, nmf_k: int = 0,
             nmf_layer: str = "", nmf_policy="clamp", title: str = "", pca: bool = False,
             pca_layer: str = "", pca_components: int = 0, pca_foreground_threshold: Optional[float] = None,
             height: Optional[int] = None, display: Optional[bool] = None, live: bool = False) -> Any:
        """The interactive viewer (``export_html``'s page) inline in Jupyter: hover any image to see the
        similarity of the cell under the pointer over every image.

        In IPython/Jupyter the viewer is displayed right away (``display=False`` to not); the returned
        ``Viewer`` also displays itself as a cell's last expression (once per cell) and has ``html``,
        ``save(path)`` and ``_repr_html_`` (an ``<iframe srcdoc>``, so the page's script runs isolated).
        ``height``: the iframe's height in pixels (default: estimated from layers and image size). ``pca``
        and its options add the PCA mode, as in ``export_html``.

        ``live=True`` returns a widget instead (``pip install 'simlay[widget]'``: anywidget): nothing is
        precomputed; each hover goes from the page to this kernel and on to the daemon, on one
        ``SimilarityStream`` per layer kept open for the widget's life, and only the newest hover is
        answered. Several kernels may share the daemon (and its cached activations) this way. The widget
        displays as a cell's last expression (or right away with ``display=True``); ``maps`` holds its
        latest answer, ``error`` the last failure's message, ``close()`` ends its streams. ``render``'s
        colormap, opacity, upsample, value_range and tile_size apply; NMF groups, the PCA mode and ``height``
        are the static viewer's. Keep the static viewer (``export_html``) for sharing files: a live widget needs
        its kernel and daemon.
        """
        if live:
            if pca:
                raise ValueError("pca is the static viewer's (live=False); the live widget shows similarity only")
            return self._live_viewer(images, layer, layers, model, metric, render, nmf_k, title, display)
        request = self._viewer_request(images, layer, layers, model, metric, render, nmf_k, nmf_layer, nmf_policy,
                                       title, pca, pca_layer, pca_components, pca_foreground_threshold)
        page = self._call("ExportViewer", request).html
        if height is None:
            height = self._viewer_height(request)
        viewer = Viewer(page, height=height, title=title,
                        sizes=f"{len(request.image_ids)} images x {', '.join(request.layers)} ")
        ip = _ipython()
        if display is True or (display is None and ip is not None):
            viewer._display()
            viewer._shown_in_execution = getattr(ip, "execution_count", None) if ip is not None else None
        return viewer

    def _live_viewer(self, images, layer, layers, model, metric, render, nmf_k, title, display):
        from ._widget import live_viewer, widget_class

        widget_class()  # anywidget is optional: a clear ImportError before anything is uploaded
        if nmf_k:
            raise ValueError("nmf_k is the static viewer's (live=False); the live widget shows similarity only")
        request = self._viewer_request(images, layer, layers, model, metric, render, 0, "", "clamp", title)
        metric_name = next(k for k, v in METRICS.items() if v == request.metric)
        widget = live_viewer(self, ids=list(request.image_ids), layers=list(request.layers), model=model,
                             metric=request.metric, metric_name=metric_name,
                             render=request.render if request.HasField("render") else None,
                             value_range=render.value_range if render is not None else None, title=title)
        if display:
            from IPython.display import display as show_now
            show_now(widget)
        return widget
