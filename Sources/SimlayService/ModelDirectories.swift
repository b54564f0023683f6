import Foundation

/// The directories a daemon may read model files from when a client names a path (`simlayd --model-dir`,
/// repeatable). A remote client must not make the daemon open arbitrary files: a path is allowed only when
/// its real path (symlinks and `..` resolved) lies under one of these directories' real paths.
public struct ModelDirectories: Sendable {
  /// The real paths of the allowed directories.
  public let roots: [String]

  /// None: every client path is refused.
  public init() { roots = [] }

  /// Resolves each directory; a directory that does not exist is an error naming it.
  public init(resolving directories: [String]) throws {
    roots = try directories.map { dir in
      var isDir: ObjCBool = false
      guard let real = Self.realPath(dir), FileManager.default.fileExists(atPath: real, isDirectory: &isDir), isDir.boolValue else {
        throw ServiceError(.invalidArgument, "--model-dir '\(dir)' is not a directory")
      }
      return real
    }
  }

  /// The real path of `path` if it is a file under one of the roots; PERMISSION_DENIED otherwise (naming
  /// the flag when there are no roots), NOT_FOUND when it does not exist.
  public func resolve(_ path: String) throws -> String {
    guard !roots.isEmpty else {
      throw ServiceError(.permissionDenied, "this daemon loads no model files named by clients: start simlayd with --model-dir DIR to allow files under DIR")
    }
    guard let real = Self.realPath(path) else {
      throw ServiceError(.notFound, "model file '\(path)' does not exist")
    }
    guard roots.contains(where: { real.hasPrefix($0 == "/" ? "/" : $0 + "/") }) else {
      throw ServiceError(.permissionDenied, "model file '\(path)' is not under a --model-dir directory of this daemon")
    }
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: real, isDirectory: &isDir), !isDir.boolValue else {
      throw ServiceError(.invalidArgument, "model path '\(path)' is a directory, not an .onnx file")
    }
    return real
  }

  /// realpath(3): absolute, with every symlink and `.`/`..` resolved; nil when the path does not exist.
  static func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }
}
