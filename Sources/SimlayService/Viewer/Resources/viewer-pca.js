/* Simlay viewer, pure PCA part: the page's PCA mode (export-html --pca). The daemon embeds the Pca RPC's
   own colours (`pca.colors`: N*H*W*3 RGB bytes of the first three components, image-major, then y, then
   x), so the page only scales them to each tile (the texts are viewer-state.js's): nearest neighbour by the cell rule floor(p * H / size),
   the rule of the daemon's PCA picture (DaemonState.nearest) and of the similarity tiles. No DOM: node's
   test runner requires this file (Tests/js), the page includes it inline as the global SimlayViewerPca
   after viewer-core.js. */
(function (root, factory) {
  'use strict';
  if (typeof module === 'object' && module.exports) module.exports = factory(require('./viewer-core.js'));
  else root.SimlayViewerPca = factory(root.SimlayViewerCore);
})(typeof globalThis !== 'undefined' ? globalThis : this, function (core) {
  'use strict';

  /** The colours of `pca` for `images` images as bytes, their length checked (H * W * 3 per image). */
  function pcaColours(pca, images) {
    const bytes = core.bytesOf(pca.colors), want = images * pca.height * pca.width * 3;
    if (bytes.length !== want) {
      throw new Error(`PCA at ${pca.layer}: ${bytes.length} colour bytes, expected ${want} (${images} images × ${pca.height}×${pca.width} × 3)`);
    }
    return bytes;
  }

  /** Paints image i's tile `o` (w x h RGBA) with its PCA colours, each cell a block of pixels (opaque: the
   *  picture replaces the photo, as in `simlay pca --out`). */
  function shadePca(o, colours, pca, i, w, h) {
    const gh = pca.height, gw = pca.width, base = i * gh * gw;
    for (let y = 0; y < h; y++) {
      const row = base + Math.floor(y * gh / h) * gw;
      for (let x = 0; x < w; x++) {
        const c = (row + Math.floor(x * gw / w)) * 3, p = (y * w + x) * 4;
        o[p] = colours[c]; o[p + 1] = colours[c + 1]; o[p + 2] = colours[c + 2]; o[p + 3] = 255;
      }
    }
  }

  /** The colour [r, g, b] of cell (y, x) of image i. */
  function colourAt(colours, pca, i, y, x) {
    const c = ((i * pca.height + y) * pca.width + x) * 3;
    return [colours[c], colours[c + 1], colours[c + 2]];
  }

  return { pcaColours, shadePca, colourAt };
});
