import Foundation

/// The Unix socket file's life: refuse to start over a live daemon, replace a stale file, keep the
/// socket private to the user (0600 in a 0700 directory), remove it on exit.
enum UnixSocket {
  static func prepare(path: String) throws {
    let dir = (path as NSString).deletingLastPathComponent
    if !dir.isEmpty && !FileManager.default.fileExists(atPath: dir) {
      do {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
      } catch {
        throw DaemonError("cannot create socket directory '\(dir)': \(error.localizedDescription)")
      }
    }
    guard path.utf8.count < 108 else { throw DaemonError("socket path '\(path)' is too long (at most 107 bytes)") }
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    guard (info.st_mode & S_IFMT) == S_IFSOCK else {
      throw DaemonError("'\(path)' exists and is not a socket; refusing to replace it")
    }
    if isLive(path: path) {
      throw DaemonError("another daemon is already serving on '\(path)'")
    }
    unlink(path)  // stale: left by a daemon that died
    // Sockets are created with the process umask; 0177 makes the new one 0600 from the first instant.
    umask(0o177)
  }

  /// Whether something accepts connections on the socket.
  static func isLive(path: String) -> Bool {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &addr.sun_path) { raw in
      let bytes = Array(path.utf8.prefix(raw.count - 1))
      raw.copyBytes(from: bytes + [0])
    }
    return withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 }
    }
  }

  static func restrict(path: String) {
    chmod(path, 0o600)
    umask(0o022)
  }

  static func remove(path: String) {
    var info = stat()
    if lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK { unlink(path) }
  }
}
