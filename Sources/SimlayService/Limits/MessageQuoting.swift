extension ServiceError {
  /// `text` in quotes for an error message, cut to its first 120 characters (with the full length named)
  /// so that a message never grows with the request: clients drop status messages over their header limit.
  static func quoted(_ text: String, limit: Int = 120) -> String {
    guard text.count > limit else { return "'\(text)'" }
    return "'\(text.prefix(limit))…' (\(text.utf8.count) bytes)"
  }
}
