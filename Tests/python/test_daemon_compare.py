"""Models side by side (issue 14 item 3): CompareModels answers one row of maps per (model, layer) on the same
photos and point, each equal to what that model's own LayerSync gives; the CLI contract
``simlay compare --model A:layer --model B:layer --point I@PX,PY IMAGE...``; rows that hold different photos
are refused.
"""

from __future__ import annotations

import io

import grpc
import numpy as np
import pytest
from PIL import Image

from daemon_support import rpc_error, running_daemon


def float_tensor(t):
    return np.frombuffer(t.data, "<f4").reshape(tuple(t.shape))


@pytest.fixture(scope="module")
def two_models(test_models, default_model):
    with running_daemon(["--model", f"lite0={default_model}", "--model", f"resnet={test_models['resnet_like']},size=224:224"]) as d:
        yield d


@pytest.fixture(scope="module")
def resnet_layer(two_models):
    client = two_models.client()
    models = {m.name: m for m in client.list_models().models}
    return next(layer.name for layer in models["resnet"].layers if layer.height >= 7)


def test_rows_equal_each_models_own_sync(two_models, photos, resnet_layer):
    client = two_models.client()
    files = [photos["chelsea"], photos["coffee"]]
    lite = [i.id for i in client.add(files, model="lite0")]
    res = [i.id for i in client.add(files, model="resnet")]
    pb = client.pb
    point = pb.Pixel(px=200, py=120)
    answer = client.call("CompareModels", pb.CompareModelsRequest(
        rows=[pb.ModelRow(model="lite0", layer="blocks.10", image_ids=lite),
              pb.ModelRow(model="resnet", layer=resnet_layer, image_ids=res)],
        point_image=0, point=point, render=pb.RenderOptions(tile_size=96)))
    assert [r.model for r in answer.rows] == ["lite0", "resnet"]
    for row, model, layer, ids in [(answer.rows[0], "lite0", "blocks.10", lite), (answer.rows[1], "resnet", resnet_layer, res)]:
        alone = client.call("LayerSync", pb.LayerSyncRequest(model=model, layers=[layer], image_id=ids[0], point=point,
                                                             target_ids=ids))
        assert row.maps.layer == layer
        assert (row.maps.cell.y, row.maps.cell.x) == (alone.layers[0].cell.y, alone.layers[0].cell.x)
        np.testing.assert_array_equal(float_tensor(row.maps.maps), float_tensor(alone.layers[0].maps))
    png = Image.open(io.BytesIO(answer.rendered.png))
    assert png.width >= 2 * 96 and png.height >= 2 * 60  # two rows, two columns


def test_cli_contract(two_models, photos, resnet_layer, tmp_path):
    files = [photos["chelsea"], photos["coffee"]]
    out, npy = tmp_path / "cmp.png", tmp_path / "npy"
    proc = two_models.cli("compare", "--model", "lite0:blocks.10", "--model", f"resnet:{resnet_layer}",
                          "--point", "0@200,120", "--out", out, "--npy-dir", npy, *files)
    assert proc.returncode == 0, proc.stderr
    assert Image.open(out).mode == "RGB"
    lite = np.load(npy / "lite0__blocks.10.npy")
    assert lite.shape == (2, 14, 14) and lite.dtype == np.float32
    assert len(list(npy.glob("resnet__*.npy"))) == 1
    bad = two_models.cli("compare", "--model", "lite0", "--point", "0@1,1", *files)
    assert bad.returncode != 0 and "NAME:LAYER" in bad.stderr


def test_rows_with_different_photos_are_refused(two_models, photos):
    client = two_models.client()
    a = [i.id for i in client.add([photos["chelsea"]], model="lite0")]
    b = [i.id for i in client.add([photos["coffee"]], model="lite0")]
    pb = client.pb
    error = rpc_error(client.call, "CompareModels", pb.CompareModelsRequest(
        rows=[pb.ModelRow(model="lite0", layer="blocks.10", image_ids=a),
              pb.ModelRow(model="lite0", layer="blocks.4", image_ids=b)],
        point=pb.Pixel(px=10, py=10)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "same photos" in error.details()
