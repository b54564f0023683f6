import Foundation

/// A small deterministic generator (SplitMix64): the same seed gives the same numbers on every machine,
/// which the standard library's generator does not promise. Also what benchmark clients draw from: the system
/// generator makes a `getrandom` system call per draw.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64

  /// A generator whose sequence is fixed by `seed`.
  public init(seed: UInt64) {
    state = seed
  }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform double in (0, 1].
  mutating func unit() -> Double {
    Double((next() >> 11) + 1) * 0x1p-53
  }

  /// A standard normal draw (Box-Muller).
  mutating func normal() -> Double {
    let (u, v) = (unit(), unit())
    return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
  }
}
