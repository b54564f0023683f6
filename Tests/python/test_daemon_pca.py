"""The PCA view (issue 14 item 2): the daemon's principal components of a layer over N images, fitted jointly,
against numpy on the same activations (``simlay activations``, in process); the CLI contract
(``simlay pca ... --components 3 --out OUT.png --npy-dir DIR IMAGE...``); foreground masking; the Python
client; refusals.

Tolerances: activations are float32; the daemon's covariance is float32 (ssyrk) and its eigensolver
LAPACK's ssyevr, numpy's in float64. Explained fractions agree to 1e-4 absolute, scores to 1e-3 of the
component's spread, axes to 2e-3 (each component's eigenvalue is well separated on these photos).
"""

from __future__ import annotations

import grpc
import numpy as np
import pytest
from PIL import Image

from daemon_support import activations, rpc_error

LAYER = "blocks.10"


def numpy_pca(x: np.ndarray, k: int):
    """The reference: rows x, covariance with n - 1, eigh, components by decreasing variance, each axis's
    largest-magnitude entry positive (scikit-learn's svd_flip convention)."""
    x = x.astype(np.float64)
    centred = x - x.mean(axis=0)
    cov = centred.T @ centred / (len(x) - 1)
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1][:k]
    axes = vectors[:, order].T
    signs = np.sign(axes[np.arange(k), np.argmax(np.abs(axes), axis=1)])
    axes *= signs[:, None]
    return centred @ axes.T, values[order] / np.trace(cov), axes


@pytest.fixture(scope="module")
def three(photos):
    return [photos["chelsea"], photos["coffee"], photos["landscape"]]


@pytest.fixture(scope="module")
def reference(three, tmp_path_factory):
    acts = activations(three, [LAYER], tmp_path_factory.mktemp("pca_acts"))
    grids = [a[LAYER] for a in acts]  # [C, H, W] each
    c, h, w = grids[0].shape
    rows = np.concatenate([g.reshape(c, h * w).T for g in grids])  # image-major, then y, x
    scores, fractions, axes = numpy_pca(rows, 3)
    return scores.reshape(len(grids), h, w, 3), fractions, axes


def test_cli_contract_matches_numpy(daemon, three, reference, tmp_path):
    out, npy = tmp_path / "pca.png", tmp_path / "npy"
    proc = daemon.cli("pca", "--layer", LAYER, "--components", "3", "--out", out, "--npy-dir", npy, *three)
    assert proc.returncode == 0, proc.stderr
    scores = np.load(npy / "components.npy")
    fractions = np.load(npy / "explained_variance.npy")
    want_scores, want_fractions, want_axes = reference
    assert scores.shape == (3, 14, 14, 3) and scores.dtype == np.float32
    assert fractions.shape == (3,)
    np.testing.assert_allclose(fractions, want_fractions, atol=1e-4)
    assert np.all(np.diff(fractions) <= 0) and 0 < fractions.sum() < 1
    for j in range(3):
        spread = np.ptp(want_scores[..., j])
        assert np.abs(scores[..., j] - want_scores[..., j]).max() <= 1e-3 * spread, f"component {j}"
    np.testing.assert_allclose(np.load(npy / "axes.npy"), want_axes, atol=2e-3)
    assert np.all(np.load(npy / "foreground.npy") == 1)
    picture = Image.open(out)
    assert picture.mode == "RGB" and picture.height > picture.width / len(three)  # two rows of tiles


def test_colours_mean_the_same_in_every_image_and_mask_by_threshold(daemon, three, reference):
    import daemon_support

    simlay = daemon_support.working_tree_package()
    with simlay.Client(daemon.unix_target()) as client:
        plain = client.pca(three, layer=LAYER)
        masked = client.pca(three, layer=LAYER, foreground_threshold=0.0,
                            render=simlay.RenderOptions(tile_size=64, titles=False))
    want_scores = reference[0]
    # Joint scaling: each of R, G, B spans 0..255 over all images together, not per image.
    for c in range(3):
        channel = plain.colors[..., c].astype(int)
        assert channel.min() == 0 and channel.max() == 255
        expected = np.round((want_scores[..., c] - want_scores[..., c].min()) / np.ptp(want_scores[..., c]) * 255)
        assert np.abs(channel - expected).max() <= 1
    fg = masked.foreground.astype(bool)
    assert np.array_equal(fg, masked.components[..., 0] > 0)
    assert fg.any() and (~fg).any()
    assert np.all(masked.colors[~fg] == 0)
    picture = masked.image()
    assert picture.size[0] <= 3 * 64 + 4 * 4 + 8  # three 64-pixel tiles and their padding


@pytest.mark.parametrize("components,message", [
    (17, "components 17 must be in 1...16"),
    (-1, "components -1"),
])
def test_bad_component_counts_are_refused(client, three, components, message):
    ids = [i.id for i in client.add(three)]
    error = rpc_error(client.call, "Pca", client.pb.PcaRequest(layer=LAYER, image_ids=ids, components=components))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in error.details()
