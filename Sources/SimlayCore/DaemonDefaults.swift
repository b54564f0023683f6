import Foundation

/// Where the daemon listens when not told, shared by `simlayd` and `simlay`.
public enum DaemonDefaults {
  /// `$XDG_RUNTIME_DIR/simlay/simlayd.sock`, or `/tmp/simlay-<uid>/simlayd.sock` when XDG_RUNTIME_DIR is
  /// unset (the directory is created with mode 0700 by the daemon).
  public static func socketPath() -> String {
    if let dir = ProcessInfo.processInfo.environment["XDG_RUNTIME_DIR"], !dir.isEmpty {
      return (dir as NSString).appendingPathComponent("simlay/simlayd.sock")
    }
    return "/tmp/simlay-\(getuid())/simlayd.sock"
  }

  /// The default model's name in the daemon.
  public static let defaultModelName = "efficientnet-lite0"
}
