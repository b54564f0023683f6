import SimlayCore

extension DaemonState {
  /// The compute step of AddImages: each new image decoded and turned into its model input as its own job on
  /// the decode executor, all of them in parallel, never on the forward threads that queries wait for.
  /// Why: a 7000x7000 progressive JPEG took 10-18 s to decode on the only forward thread, and every new
  /// image's first query queued behind it; now queries keep their thread and images decode side by side.
  /// The first failure (in request order) is reported, naming its image.
  func addImages(_ batch: UploadBatch) async throws -> [AddedImage] {
    let (store, pipeline, key, maxPixels) = (
      images, batch.model.pipeline, batch.model.preprocessingKey, configuration.maxImagePixels
    )
    let results = await withTaskGroup(of: (Int, Result<AddedImage, any Error>).self) { group in
      for (i, upload) in batch.uploads.enumerated() {
        group.addTask {
          do {
            return (
              i,
              .success(
                try await self.decoder.run {
                  let (image, existed) = try store.add(
                    bytes: upload.bytes, name: upload.name, preprocessingKey: key, maxPixels: maxPixels,
                    prepare: { pipeline.tensor(for: [$0]) })
                  return AddedImage(image: image, existed: existed)
                })
            )
          } catch {
            return (i, .failure(error))
          }
        }
      }
      var out = [Result<AddedImage, any Error>?](repeating: nil, count: batch.uploads.count)
      for await (i, r) in group { out[i] = r }
      return out
    }
    return try results.map { try $0!.get() }
  }
}
