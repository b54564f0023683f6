import Foundation
import SimlayCore
import SimlayImaging
import SimlayProto

/// An NMF factorisation of one layer's activation vectors across images (rows image-major, then y, x).
struct NMFAnswer: Sendable {
  var layer: String
  var height: Int
  var width: Int
  /// Factored columns: C, or 2C with the split policy.
  var columns: Int
  var k: Int
  /// N*H*W group indices (argmax of each row of W).
  var groups: [Int32]
  /// N*H*W strengths in [0, 1]: the row's weight on its group over the largest weight on that group.
  var strength: [Float]
  /// [N*H*W, k] and [k, columns]; H's rows have unit L2 norm.
  var w: [Float]
  var h: [Float]
  var relativeError: Double
  var iterations: Int
  var seconds: Double
  /// The images, in row order.
  var images: [StoredImage]
}

extension NMFAnswer: ByteCounted {
  /// The factors, groups and strengths, plus the images' pixels (shared with the image store, but kept
  /// alive here should the store evict them).
  var byteCount: Int {
    4 * (groups.count + strength.count + w.count + h.count) + images.reduce(0) { $0 + $1.byteCount }
  }
}

extension DaemonState {
  /// Runs (or finds a recent) factorisation for `job`; errors are ServiceErrors naming what was wrong.
  func nmfAnswer(_ job: NMFJob) async throws -> NMFAnswer {
    if let cached = recentFactorisations.get(job.key) { return cached }
    let (layer, images, options, policy) = (job.layer, job.images, job.options, job.policy)
    let grids = try await self.grids(model: job.model, images: images, layers: [layer.name]).map { $0[0] }
    let (h, w) = (layer.height, layer.width)
    let answer = try await executor.runCancellable { cancellation throws -> NMFAnswer in
      let start = ContinuousClock.now
      do throws(NMFError) {
        let matrix = try NMFMatrix.stacking(grids, policy: policy, layer: layer.name)
        let result = try NMF.factor(matrix, options: options, cancellation: cancellation)
        let seconds = StatsInterceptor.ms(ContinuousClock.now - start) / 1000
        return NMFAnswer(
          layer: layer.name, height: h, width: w, columns: matrix.columns, k: options.k, groups: result.groups,
          strength: result.strength, w: result.w, h: result.h, relativeError: result.relativeError,
          iterations: result.iterations, seconds: seconds, images: images)
      } catch {
        throw ServiceError(error.code == .cancelled ? .cancelled : .invalidArgument, error.message)
      }
    }
    recentFactorisations.put(job.key, answer)
    return answer
  }
}
