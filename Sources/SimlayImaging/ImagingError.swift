/// The single error type of the imaging layer: a machine-readable ``Code`` plus a one-line,
/// human-readable ``message`` that names the problem (and the file, when one is involved).
///
/// ```swift
/// do { _ = try ImageDecoder.decode(contentsOf: path) }
/// catch where error.code == .truncated { ... }
/// ```
public struct ImagingError: Error, CustomStringConvertible, Sendable, Hashable {
  /// What went wrong, as an extensible set of constants (new codes can be added without
  /// breaking exhaustive `switch`es in clients, the grpc-swift `Status.Code` pattern).
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    private enum Wrapped: Hashable, Sendable {
      case notAnImage, truncated, tooLarge, empty, corrupt, io, invalidArgument
    }

    private let wrapped: Wrapped

    private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

    /// The bytes are not a supported image: neither the PNG signature nor JPEG's `FF D8 FF`.
    public static let notAnImage = Code(.notAnImage)
    /// The data ends before the image is complete (a partial download or copy).
    public static let truncated = Code(.truncated)
    /// The header announces more pixels than the caller's `maxPixels` (decompression bomb).
    public static let tooLarge = Code(.tooLarge)
    /// The input has zero bytes.
    public static let empty = Code(.empty)
    /// The codec rejected the data: bad checksums, invalid headers, zero width or height.
    public static let corrupt = Code(.corrupt)
    /// A file could not be opened, read or written (or memory ran out doing so).
    public static let io = Code(.io)
    /// The caller passed something unusable (mismatched pixel count, non-positive limit, ...).
    public static let invalidArgument = Code(.invalidArgument)

    /// The code's name as spelled in Swift, e.g. `"notAnImage"`.
    public var description: String {
      switch wrapped {
      case .notAnImage: "notAnImage"
      case .truncated: "truncated"
      case .tooLarge: "tooLarge"
      case .empty: "empty"
      case .corrupt: "corrupt"
      case .io: "io"
      case .invalidArgument: "invalidArgument"
      }
    }
  }

  /// The category of the failure; branch on this, not on the message text.
  public var code: Code
  /// One line describing the problem, prefixed with the file path when there is one.
  public var message: String

  /// Creates an error; line breaks in `message` are flattened so logs stay one line per error.
  public init(code: Code, message: String) {
    self.code = code
    self.message = ImagingError.oneLine(message)
  }

  /// Shorthand used throughout the module.
  init(_ code: Code, _ message: String) {
    self.init(code: code, message: message)
  }

  /// `"<code>: <message>"`, e.g. `"truncated: /tmp/a.png: truncated PNG: data ends ..."`.
  public var description: String { "\(code): \(message)" }

  /// The same error with `path: ` in front of the message, for errors raised while handling
  /// a file.
  func naming(_ path: String) -> ImagingError {
    ImagingError(code, "\(path): \(message)")
  }

  private static func oneLine(_ text: String) -> String {
    guard text.contains(where: \.isNewline) else { return text }
    return String(text.map { $0.isNewline ? " " : $0 })
  }
}
