import SimlayCore
import SimlayEngine
import SimlayImaging

/// One transform of a sweep: the parameter, the input transform it stands for, and where cells move under it.
struct SweepTransform: Sendable {
  var kind: SweepKind
  var param: Double
  /// The fill outside the image, one value per input plane (normalised units).
  var fill: TransformFill
  /// The fill's name, for the cache key.
  var fillName: SweepFill
  /// Where the transform acts.
  var space: SweepSpace = .input
  /// The fill in pixel values (R, G, B), for photo-space transforms.
  var photoFill: [Float] = [0, 0, 0]

  /// The crop box (scale only).
  var box: CropAndResize.Box? { kind == .scale ? .centred(scale: param) : nil }

  /// The transformed planar input.
  func apply(_ image: PlanarImage) -> PlanarImage {
    switch kind {
    case .scale: return CropAndResize.apply(image, box: .centred(scale: param), fill: fill)
    case .rotate: return ImageRotation.rotate(image, degrees: param, fill: fill)
    }
  }

  /// The transformed photo (photo space).
  func apply(photo: RGBImage) -> RGBImage {
    switch kind {
    case .scale: return PhotoTransform.scaled(photo, scale: param, fill: photoFill)
    case .rotate: return PhotoTransform.rotated(photo, degrees: param, fill: photoFill)
    }
  }

  /// Where `query`'s point moves, and its cell on an h x w grid: the point is moved in the space the
  /// transform acts on (the `input` size, or the photo's), whose squash to the grid is a rescale.
  func track(
    _ query: SweepQuery, grid: (height: Int, width: Int), input: (height: Int, width: Int),
    photo: (height: Int, width: Int)
  ) -> TransformTracking.Tracked {
    let size = space == .photo ? photo : input
    let p = query.point(
      height: size.height, width: size.width, gridHeight: grid.height, gridWidth: grid.width,
      photoHeight: photo.height, photoWidth: photo.width)
    let moved =
      kind == .scale
      ? PointTracking.scaled(p, scale: param, height: size.height, width: size.width)
      : PointTracking.rotated(p, degrees: param, height: size.height, width: size.width)
    return PointTracking.cell(
      of: moved, height: size.height, width: size.width, gridHeight: grid.height, gridWidth: grid.width)
  }

  /// The activation cache's variant: the key names the space, the transform, its parameter and the fill
  /// (e.g. "rotate:30.0:mean", "photo:rotate:30.0:mean"), so transformed activations are cached beside the
  /// plain ones. A photo-space variant ignores the prepared input: it transforms `photo` and squashes that.
  func variant(photo: RGBImage, pipeline: InputPipeline) -> InputVariant {
    let transform = self
    let key = "\(space == .photo ? "photo:" : "")\(kind.rawValue):\(param):\(fillName.rawValue)"
    if space == .photo {
      return InputVariant(key: key) { _ in pipeline.tensor(for: [transform.apply(photo: photo)]) }
    }
    return InputVariant(key: key) { input in
      guard input.rank == 4, input.shape[0] == 1 else {
        throw ServiceError(.internalError, "sweep expects a [1, C, H, W] input, got \(input.shape)")
      }
      let planar = PlanarImage(
        channels: input.shape[1], height: input.shape[2], width: input.shape[3], values: input.floats)
      return Tensor(shape: input.shape, floats: transform.apply(planar).values)
    }
  }
}

extension InputPipeline {
  /// The normalised value of each input plane for `fill`: 0 for the mean; `-mean / std` for black (pixel 0
  /// before normalisation), in the planes' order (BGR models swap the first and last).
  func fillValues(_ fill: SweepFill) -> TransformFill {
    switch fill {
    case .mean: return .constant(0, channels: 3)
    case .black:
      var values = (0..<3).map { -preprocessing.mean[$0] / preprocessing.std[$0] }
      if bgr { values.reverse() }
      return TransformFill(values: values)
    }
  }

  /// The model input of `image` as a planar image (what sweeps transform).
  func planarInput(_ image: RGBImage) -> PlanarImage {
    let t = tensor(for: [image])
    return PlanarImage(channels: t.shape[1], height: t.shape[2], width: t.shape[3], values: t.floats)
  }

  /// A normalised planar input turned back into pixels (`v * std + mean`, rounded and clamped), for display.
  func denormalised(_ input: PlanarImage) -> RGBImage {
    let plane = input.planeCount
    var pixels = [UInt8](repeating: 0, count: plane * 3)
    for c in 0..<min(input.channels, 3) {
      // Plane c holds RGB channel c, or channel 2 - c for BGR models.
      let rgb = bgr ? 2 - c : c
      let (m, s) = (preprocessing.mean[rgb], preprocessing.std[rgb])
      for i in 0..<plane {
        let v = (input.values[c * plane + i] * s + m).rounded()
        pixels[i * 3 + rgb] = UInt8(min(max(v, 0), 255))
      }
    }
    return RGBImage(width: input.width, height: input.height, pixels: pixels)
  }
}
