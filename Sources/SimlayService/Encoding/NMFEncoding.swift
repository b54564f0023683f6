import SimlayProto

extension Simlay_V1_NmfResponse {
  /// The factorisation's tensors and numbers (the PNG, when asked for, is added by the handler).
  init(_ answer: NMFAnswer) {
    let (n, plane) = (answer.images.count, answer.height * answer.width)
    self.init()
    layer = answer.layer
    height = Int32(answer.height)
    width = Int32(answer.width)
    columns = Int32(answer.columns)
    groups = .with { g in
      g.shape = [Int64(n), Int64(answer.height), Int64(answer.width)]
      g.values = answer.groups
    }
    strength = Simlay_V1_FloatTensor(shape: [n, answer.height, answer.width], values: answer.strength)
    w = Simlay_V1_FloatTensor(shape: [n * plane, answer.k], values: answer.w)
    h = Simlay_V1_FloatTensor(shape: [answer.k, answer.columns], values: answer.h)
    relativeError = answer.relativeError
    iterations = Int32(answer.iterations)
    solveSeconds = answer.seconds
  }
}
