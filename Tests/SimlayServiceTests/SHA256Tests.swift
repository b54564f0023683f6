import SimlayService
import Testing

/// The image ids' SHA-256 against FIPS 180-4's and NIST's test vectors, and the same digest however the
/// bytes are split between `update` calls (every split point of a message crossing block boundaries).
@Suite("SHA-256")
struct SHA256Tests {
  static let vectors: [(String, String)] = [
    ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (
      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    ),
    (
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
    ),
  ]

  @Test func knownVectors() {
    for (message, digest) in Self.vectors { #expect(SHA256.hex(Array(message.utf8)) == digest, "\(message)") }
    // A million 'a's, given in uneven pieces.
    var s = SHA256()
    var left = 1_000_000
    var piece = 1
    while left > 0 {
      let n = min(piece, left)
      s.update([UInt8](repeating: 0x61, count: n))
      (left, piece) = (left - n, piece * 3 % 1000 + 1)
    }
    #expect(SHA256.hex(digest: s.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }

  @Test func splittingTheInputChangesNothing() {
    let message = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
    let whole = SHA256.hex(message)
    for cut in 0...message.count {
      var s = SHA256()
      s.update(Array(message[..<cut]))
      s.update(Array(message[cut...]))
      #expect(SHA256.hex(digest: s.finalize()) == whole, "split at \(cut)")
    }
  }
}
