import Foundation

/// The daemon's warnings about an answer (e.g. an all-zero query vector), one line each on stderr, so that
/// stdout and the output files stay as they are.
enum Warnings {
  static func print(_ warnings: [String]) {
    for w in warnings { FileHandle.standardError.write(Data("simlay: warning: \(w)\n".utf8)) }
  }
}
