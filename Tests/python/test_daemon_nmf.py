"""``simlay nmf`` against the real daemon: the factors reproduce the reported error, groups are W's row argmax,
our error is no worse than scikit-learn's ``nndsvda`` + ``cd`` at the same k and iteration budget (+1%),
determinism across daemons, seeds, the negative-value policies, group-centroid queries, rendering, errors.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from daemon_support import (activations, assert_ok, assert_one_line_error, decode_png, running_daemon)

LAYER = "blocks.10.expand"  # post-ReLU6: non-negative
SIGNED = "blocks.10"  # a block output: no activation, negative values
KEYS = ["landscape", "portrait", "tall", "square", "chelsea"]


@pytest.fixture(scope="module")
def setup(daemon, photos, tmp_path_factory):
    paths = [photos[k] for k in KEYS]
    acts = activations(paths, [LAYER, SIGNED], tmp_path_factory.mktemp("acts"))
    return daemon, paths, acts


def matrix(acts, layer, policy="none"):
    """The rows NMF factors: every position, image-major then y, x; channels as columns."""
    a = np.concatenate([x[layer].transpose(1, 2, 0).reshape(-1, x[layer].shape[0]) for x in acts]).astype(np.float64)
    if policy == "clamp":
        return np.maximum(a, 0)
    if policy == "split":
        return np.concatenate([np.maximum(a, 0), np.maximum(-a, 0)], axis=1)
    return a


def run_nmf(daemon, paths, out_dir, *flags, layer=LAYER, k=6):
    out_dir.mkdir(parents=True, exist_ok=True)
    assert_ok(daemon.cli("nmf", "--layer", layer, "--k", str(k), "--npy-dir", out_dir, "--json", out_dir / "r.json",
                         *flags, *paths))
    info = json.loads((out_dir / "r.json").read_text())
    return ({name: np.load(out_dir / f"{name}.npy") for name in ["groups", "strength", "W", "H"]}, info)


def relative_error(a, w, h):
    return np.linalg.norm(a - w.astype(np.float64) @ h.astype(np.float64)) / np.linalg.norm(a)


@pytest.mark.parametrize("k,max_iter", [(6, 200), (3, 50)])
def test_factors_and_error_vs_sklearn(setup, tmp_path, k, max_iter):
    from sklearn.decomposition import NMF as SkNMF

    daemon, paths, acts = setup
    r, info = run_nmf(daemon, paths, tmp_path, "--max-iter", str(max_iter), k=k)
    a = matrix(acts, LAYER)
    n, d = a.shape
    assert r["groups"].dtype == np.int32 and r["groups"].shape == (len(paths), 14, 14)
    assert r["W"].dtype == np.float32 and r["W"].shape == (n, k)
    assert r["H"].dtype == np.float32 and r["H"].shape == (k, d)
    assert (r["W"] >= 0).all() and (r["H"] >= 0).all()
    np.testing.assert_allclose(np.linalg.norm(r["H"], axis=1), 1, atol=1e-5)
    np.testing.assert_array_equal(r["groups"].reshape(-1), r["W"].argmax(axis=1))
    ours = relative_error(a, r["W"], r["H"])
    assert abs(ours - info["relative_error"]) < 1e-4, (ours, info["relative_error"])
    assert 1 <= info["iterations"] <= max_iter
    strength = r["strength"].reshape(-1)
    assert ((strength >= 0) & (strength <= 1)).all()
    for g in np.unique(r["groups"]):
        assert strength[r["groups"].reshape(-1) == g].max() == pytest.approx(1)

    sk = SkNMF(n_components=k, init="nndsvda", solver="cd", max_iter=max_iter, random_state=0)
    w = sk.fit_transform(a.astype(np.float32))
    theirs = relative_error(a, w, sk.components_)
    assert ours <= theirs * 1.01, f"ours {ours:.5f} vs scikit-learn {theirs:.5f}"


def test_deterministic_across_daemons_and_seeds(setup, tmp_path):
    daemon, paths, _ = setup
    first, _ = run_nmf(daemon, paths[:3], tmp_path / "a", "--max-iter", "40")
    seeded, _ = run_nmf(daemon, paths[:3], tmp_path / "s1", "--seed", "1", "--max-iter", "40")
    other_seed, _ = run_nmf(daemon, paths[:3], tmp_path / "s2", "--seed", "2", "--max-iter", "40")
    with running_daemon() as fresh:  # no shared cache: the factorisation really runs again
        again, _ = run_nmf(fresh, paths[:3], tmp_path / "b", "--max-iter", "40")
        seeded_again, _ = run_nmf(fresh, paths[:3], tmp_path / "s1b", "--seed", "1", "--max-iter", "40")
    for name in ["W", "H", "groups"]:
        np.testing.assert_array_equal(first[name], again[name])
        np.testing.assert_array_equal(seeded[name], seeded_again[name])
    assert not np.array_equal(seeded["W"], other_seed["W"])


def test_negative_layer_needs_a_policy(setup, tmp_path):
    daemon, paths, acts = setup
    assert_one_line_error(daemon.cli("nmf", "--layer", SIGNED, "--k", "4", *paths[:2]), SIGNED, "negative", "clamp", "split")
    clamp, info = run_nmf(daemon, paths[:2], tmp_path / "c", "--policy", "clamp", layer=SIGNED, k=4)
    a = matrix(acts[:2], SIGNED, "clamp")
    assert clamp["H"].shape == (4, 112)
    assert abs(relative_error(a, clamp["W"], clamp["H"]) - info["relative_error"]) < 1e-4
    split, info = run_nmf(daemon, paths[:2], tmp_path / "s", "--policy", "split", layer=SIGNED, k=4)
    a = matrix(acts[:2], SIGNED, "split")
    assert split["H"].shape == (4, 224)
    assert abs(relative_error(a, split["W"], split["H"]) - info["relative_error"]) < 1e-4


def test_group_centroid_query(setup, tmp_path):
    daemon, paths, acts = setup
    r, _ = run_nmf(daemon, paths[:3], tmp_path / "g", k=4)
    groups = r["groups"].reshape(-1)
    group = int(np.bincount(groups).argmax())
    maps_path = tmp_path / "maps.npy"
    assert_ok(daemon.cli("nmf", "--layer", LAYER, "--k", "4", "--group-similarity", str(group),
                         "--similarity-npy", maps_path, "--similarity-out", tmp_path / "sim.png", *paths[:3]))
    a = matrix(acts[:3], LAYER)
    centroid = a[groups == group].mean(axis=0)
    ref = (a @ centroid) / ((np.linalg.norm(a, axis=1) + 1e-4) * (np.linalg.norm(centroid) + 1e-4))
    np.testing.assert_allclose(np.load(maps_path).reshape(-1), ref, atol=1e-5)
    assert decode_png((tmp_path / "sim.png").read_bytes()).shape[2] == 3


def test_render_and_highlight(setup, tmp_path):
    daemon, paths, _ = setup
    for extra, name in [([], "all.png"), (["--highlight", "1"], "one.png")]:
        assert_ok(daemon.cli("nmf", "--layer", LAYER, "--k", "3", "--tile-size", "128", "--out", tmp_path / name,
                             *extra, *paths[:2]))
    full, one = (decode_png((tmp_path / n).read_bytes()) for n in ["all.png", "one.png"])
    assert full.shape[1] == one.shape[1] > 128 + 100  # two tiles side by side; the legend below differs: one entry instead of three
    top = full[:120].astype(int), one[:120].astype(int)
    assert np.abs(top[0] - top[1]).mean() > 1  # highlighting darkens the other groups' positions
    assert top[1].sum() < top[0].sum()


@pytest.mark.parametrize("args,needles", [
    (["--k", "0"], ["--k"]),
    (["--k", "3", "--highlight", "5"], ["--highlight"]),
    (["--k", "1000"], ["k = 1000"]),
    (["--k", "3", "--layer", "nope"], ["nope"]),
])
def test_errors_are_one_line(setup, args, needles):
    daemon, paths, _ = setup
    if "--layer" not in args:
        args = ["--layer", LAYER, *args]
    assert_one_line_error(daemon.cli("nmf", *args, *paths[:2]), *needles)
