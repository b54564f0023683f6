// simlayd, the daemon, arrives with the gRPC service (issue 3); until then it only says so.
import Foundation

FileHandle.standardError.write(Data("simlayd: the daemon is not built yet; use `simlay` (layers, activations, classify) in-process\n".utf8))
exit(2)
