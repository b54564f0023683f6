import Foundation

/// The Unix socket file's life: a directory no other user can write into, a lock that lets exactly one
/// daemon own the path, a socket that is 0600 from its first instant, and removal on exit.
///
/// The directory rule follows OpenSSH's StrictModes rather than demanding 0700 everywhere: a directory is
/// refused when another user owns it (root excepted) or when group or others can write into it without
/// the sticky bit. Either would let another local user rename the socket away and put their own in its
/// place, receiving clients' images and tokens. A sticky, world-writable directory such as /tmp is
/// accepted: there only the owner of a file can rename or delete it. Directories the daemon creates
/// (the default `/tmp/simlay-<uid>` or `$XDG_RUNTIME_DIR/simlay`) get 0700.
enum UnixSocket {
  /// What the daemon holds while it serves on `path`: the lock, and the socket's inode once bound, so
  /// that exit removes this daemon's socket and never a successor's.
  final class Claim: @unchecked Sendable {
    let path: String
    let lockFD: Int32
    private(set) var inode: ino_t?

    init(path: String, lockFD: Int32) {
      self.path = path
      self.lockFD = lockFD
    }

    /// Called once the transport listens: records the socket and restores the usual umask.
    func bound() {
      var info = stat()
      if lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK { inode = info.st_ino }
      chmod(path, 0o600)  // already 0600 from the umask; this only guards against a changed umask
      umask(0o022)
    }

    /// Removes the socket if it is still the one this daemon bound; the lock goes with the process.
    func release() {
      var info = stat()
      if let inode, lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFSOCK, info.st_ino == inode {
        unlink(path)
      }
      close(lockFD)
    }
  }

  /// Checks or creates the directory, takes the lock and clears a stale socket. Throws a one-line
  /// `DaemonError` naming what was wrong.
  static func prepare(path: String) throws -> Claim {
    guard path.utf8.count < 108 else { throw DaemonError("socket path '\(path)' is too long (at most 107 bytes)") }
    let dir = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
    try ensureDirectory(dir)
    // Sockets are created with the process umask: 0177 from here on makes the new one 0600 when bind
    // creates it, not after a chmod that a fast client could beat. `bound()` restores the umask.
    umask(0o177)
    let lockPath = path + ".lock"
    let fd = open(lockPath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
    guard fd >= 0 else {
      throw DaemonError("cannot open lock file '\(lockPath)': \(String(cString: strerror(errno)))")
    }
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      close(fd)
      throw DaemonError("another daemon is starting or serving on '\(path)' (it holds '\(lockPath)')")
    }
    // With the lock held no other daemon can bind this path, so what is found now is either a live
    // daemon that predates the lock file or a stale socket left by one that died.
    var info = stat()
    if lstat(path, &info) == 0 {
      guard (info.st_mode & S_IFMT) == S_IFSOCK else {
        close(fd)
        throw DaemonError("'\(path)' exists and is not a socket; refusing to replace it")
      }
      if isLive(path: path) {
        close(fd)
        throw DaemonError("another daemon is already serving on '\(path)'")
      }
      unlink(path)
    }
    return Claim(path: path, lockFD: fd)
  }

  /// Creates `dir` (0700) if it is missing, else checks that no other user can replace files in it.
  static func ensureDirectory(_ dir: String) throws {
    var info = stat()
    if stat(dir, &info) != 0 {
      do {
        try FileManager.default.createDirectory(
          atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
      } catch {
        throw DaemonError("cannot create socket directory '\(dir)': \(error.localizedDescription)")
      }
      chmod(dir, 0o700)
      guard stat(dir, &info) == 0 else { throw DaemonError("cannot create socket directory '\(dir)'") }
    }
    guard (info.st_mode & S_IFMT) == S_IFDIR else { throw DaemonError("socket directory '\(dir)' is not a directory") }
    let me = geteuid()
    if info.st_uid != me && info.st_uid != 0 {
      throw DaemonError(
        "socket directory '\(dir)' is owned by uid \(info.st_uid), not by this user (uid \(me)): that user could replace the socket; use a directory of your own"
      )
    }
    let mode = info.st_mode & 0o7777
    if mode & 0o022 != 0 && mode & S_ISVTX == 0 {
      throw DaemonError(
        "socket directory '\(dir)' has mode \(String(mode, radix: 8)): group or others can write into it without the sticky bit and could replace the socket; chmod 700 it or use another directory"
      )
    }
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
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
      }
    }
  }
}
