/// A client-side failure (a bad address, an unreadable file, a malformed answer), reported as one line.
public struct ClientError: Error, CustomStringConvertible, Sendable {
  /// What kind of failure, for programs that act on it (the CLI maps every kind to exit code 1 today).
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    let name: String
    /// The command line or a call's arguments are wrong (a malformed --server, no images given).
    public static let usage = Code(name: "usage")
    /// A local file could not be read (an image, the token file).
    public static let file = Code(name: "file")
    /// The daemon answered something this client cannot use (a malformed tensor, a count mismatch).
    public static let malformedAnswer = Code(name: "malformed answer")
    /// No connection to the daemon could be set up.
    public static let connection = Code(name: "connection")

    public var description: String { name }
  }

  /// The kind of failure.
  public var code: Code
  /// The one-line message.
  public var description: String

  /// An error of kind `code` with the given one-line message.
  public init(_ code: Code, _ message: String) {
    self.code = code
    description = message
  }
}
