/// The HALS block updates: exact minimisation of ||A - W H||_F over one column of W (or one row of H)
/// at a time, projected onto the non-negative orthant, given the products with A already computed.
enum HALS {
  /// Updates W (rows x k, row-major) given P = A H^T and Q = H H^T. Rows are independent, so each row
  /// runs all its sweeps while it is in cache. A row stops early once a sweep changes it by under 1%
  /// of what its first sweep did (Gillis & Glineur's accelerated HALS criterion, per row).
  static func updateRows(_ w: inout [Float], rows: Int, k: Int, cross p: [Float], gram q: [Double], maxSweeps: Int) {
    w.withUnsafeMutableBufferPointer { w in
      for i in 0..<rows {
        let base = i * k
        var first = 0.0
        for sweep in 0..<maxSweeps {
          var change = 0.0
          for t in 0..<k {
            let qtt = q[t * k + t]
            guard qtt > 0 else { continue }
            var acc = Double(p[base + t])
            for s in 0..<k where s != t { acc -= Double(w[base + s]) * q[s * k + t] }
            let updated = Float(max(acc / qtt, 0))
            let delta = Double(updated - w[base + t])
            change += delta * delta
            w[base + t] = updated
          }
          if sweep == 0 { first = change } else if change <= 1e-4 * first { break }
        }
      }
    }
  }

  /// Updates H (k x columns, row-major) given R = W^T A and S = W^T W: each sweep replaces row t by
  /// max(0, (R_t - sum_{s != t} S_ts H_s) / S_tt). Stops once a sweep changes H by under 1% of the first.
  static func updateColumns(
    _ h: inout [Float], k: Int, columns d: Int, cross r: [Float], gram s: [Double], maxSweeps: Int
  ) {
    var row = [Double](repeating: 0, count: d)
    var first = 0.0
    h.withUnsafeMutableBufferPointer { h in
      for sweep in 0..<maxSweeps {
        var change = 0.0
        for t in 0..<k {
          let stt = s[t * k + t]
          guard stt > 0 else { continue }
          for c in 0..<d { row[c] = Double(r[t * d + c]) }
          for u in 0..<k where u != t {
            let stu = s[t * k + u]
            guard stu != 0 else { continue }
            for c in 0..<d { row[c] -= stu * Double(h[u * d + c]) }
          }
          for c in 0..<d {
            let updated = Float(max(row[c] / stt, 0))
            let delta = Double(updated - h[t * d + c])
            change += delta * delta
            h[t * d + c] = updated
          }
        }
        if sweep == 0 { first = change } else if change <= 1e-4 * first { break }
      }
    }
  }
}
