import Foundation

/// A model file as the file system knows it: the same (device, inode) with the same size and
/// modification time is the same bytes, whatever path or symlink names it, so a second `LoadModel` of
/// it can share the first one's weights without reading the file again.
struct ModelFileIdentity: Hashable, Sendable {
  var device: UInt64
  var inode: UInt64
  var size: Int64
  var modifiedSeconds: Int64
  var modifiedNanoseconds: Int64

  /// The identity of the file at `path`, or nil when it cannot be stat-ed (loading then reports why).
  init?(path: String) {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    device = UInt64(info.st_dev)
    inode = UInt64(info.st_ino)
    size = Int64(info.st_size)
    modifiedSeconds = Int64(info.st_mtim.tv_sec)
    modifiedNanoseconds = Int64(info.st_mtim.tv_nsec)
  }
}
