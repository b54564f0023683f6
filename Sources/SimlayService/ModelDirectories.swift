import Foundation

/// The directories a daemon may read model files from when a client names a path (`simlayd --model-dir`,
/// repeatable). A remote client must not make the daemon open arbitrary files: a path is allowed only when
/// its real path (symlinks and `..` resolved) lies under one of these directories' real paths.
public struct ModelDirectories: Sendable {
  /// The real paths of the allowed directories.
  public let roots: [String]

  /// The directories as given, made absolute lexically: a root reached through a symlink
  /// (`/tmp` -> `/private/tmp`) is still "spelled under" by a path through the link.
  let spelledRoots: [String]

  /// None: every client path is refused.
  public init() {
    roots = []
    spelledRoots = []
  }

  /// Resolves each directory; a directory that does not exist is an error naming it.
  public init(resolving directories: [String]) throws {
    roots = try directories.map { dir in
      var isDir: ObjCBool = false
      guard let real = Self.realPath(dir), FileManager.default.fileExists(atPath: real, isDirectory: &isDir),
        isDir.boolValue
      else {
        throw ServiceError(.invalidArgument, "--model-dir '\(dir)' is not a directory")
      }
      return real
    }
    spelledRoots = directories.compactMap(Self.lexicallyNormalized)
  }

  /// The real path of `path` if it is a file under one of the roots; PERMISSION_DENIED otherwise (naming
  /// the flag when there are no roots), NOT_FOUND when it does not exist under a root.
  ///
  /// Why the lexical check comes first: answering NOT_FOUND for `/home/u/x.onnx` and PERMISSION_DENIED for
  /// `/etc/passwd` would let any client probe which files exist anywhere on the machine. A path that is not
  /// spelled under a root is refused with one message before the file system is asked anything about it;
  /// only paths inside the allowed directories get the more useful "does not exist".
  public func resolve(_ path: String) throws -> String {
    guard !roots.isEmpty else {
      throw ServiceError(
        .permissionDenied,
        "this daemon loads no model files named by clients: start simlayd with --model-dir DIR to allow files under DIR"
      )
    }
    let shown = ServiceError.quoted(path)
    let outside = ServiceError(
      .permissionDenied, "model file \(shown) is not under a --model-dir directory of this daemon")
    guard let lexical = Self.lexicallyNormalized(path),
      isUnderRoot(lexical) || isUnderRoot(lexical, roots: spelledRoots)
    else {
      throw outside
    }
    guard let real = Self.realPath(path) else {
      // Inside an allowed directory by spelling; the parent's real path decides (a link out of the tree to a
      // missing file is still "outside").
      let parent = (lexical as NSString).deletingLastPathComponent
      guard let realParent = Self.realPath(parent), isUnderRoot(realParent) || roots.contains(realParent) else {
        throw outside
      }
      throw ServiceError(.notFound, "model file \(shown) does not exist", details: ErrorDetails(.modelFileNotFound))
    }
    guard isUnderRoot(real) else { throw outside }
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: real, isDirectory: &isDir), !isDir.boolValue else {
      throw ServiceError(.invalidArgument, "model path \(shown) is a directory, not an .onnx file")
    }
    return real
  }

  private func isUnderRoot(_ path: String, roots: [String]? = nil) -> Bool {
    (roots ?? self.roots).contains { path.hasPrefix($0 == "/" ? "/" : $0 + "/") }
  }

  /// `path` made absolute against the working directory with `.` and `..` removed, without touching the
  /// file system; nil for an empty path.
  static func lexicallyNormalized(_ path: String) -> String? {
    guard !path.isEmpty else { return nil }
    let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    var parts: [Substring] = []
    for part in absolute.split(separator: "/", omittingEmptySubsequences: true) {
      switch part {
      case ".": continue
      case "..": if !parts.isEmpty { parts.removeLast() }
      default: parts.append(part)
      }
    }
    return "/" + parts.joined(separator: "/")
  }

  /// realpath(3): absolute, with every symlink and `.`/`..` resolved; nil when the path does not exist.
  static func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }
}
