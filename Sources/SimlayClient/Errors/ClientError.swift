/// A client-side failure (a bad address, an unreadable file, a malformed answer), reported as one line.
public struct ClientError: Error, CustomStringConvertible {
  /// The one-line message.
  public var description: String

  /// An error with the given one-line message.
  public init(_ message: String) { description = message }
}
