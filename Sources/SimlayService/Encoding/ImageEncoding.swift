import SimlayProto

extension Simlay_V1_AddImagesResponse {
  /// One `ImageInfo` per upload, in request order.
  init(_ added: [AddedImage]) {
    self.init()
    images = added.map { a in
      Simlay_V1_ImageInfo.with {
        $0.id = a.image.id
        $0.width = Int32(a.image.image.width)
        $0.height = Int32(a.image.image.height)
        $0.name = a.image.name
        $0.existed = a.existed
      }
    }
  }
}
