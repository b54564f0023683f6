import SimlayClient
import Testing

@Suite("ServerAddress")
struct ServerAddressTests {
  @Test(
    "accepted forms parse to the address they name",
    arguments: [
      ("unix:/tmp/s.sock", ServerAddress.unix(path: "/tmp/s.sock")),
      ("unix:///tmp/s.sock", .unix(path: "/tmp/s.sock")),
      ("unix:relative.sock", .unix(path: "relative.sock")),
      ("/run/simlay.sock", .unix(path: "/run/simlay.sock")),
      ("./s.sock", .unix(path: "./s.sock")),
      ("127.0.0.1:50051", .tcp(host: "127.0.0.1", port: 50051)),
      ("localhost:1", .tcp(host: "localhost", port: 1)),
      ("[::1]:65535", .tcp(host: "::1", port: 65535)),
      ("[fe80::1%eth0]:8080", .tcp(host: "fe80::1%eth0", port: 8080)),
    ])
  func parses(text: String, expected: ServerAddress) throws {
    #expect(try ServerAddress(parsing: text) == expected)
  }

  @Test(
    "malformed forms are refused with a message naming the flag and the value",
    arguments: [
      "", "unix:", "unix://", "localhost", "localhost:", ":50051", "host:0", "host:65536", "host:-1", "host:port",
      "::1:50051", "[::1]", "[::1]50051", "[]:50051", "[::1]:", "[::1]:99999",
    ])
  func refuses(text: String) {
    let error = #expect(throws: ClientError.self) { try ServerAddress(parsing: text) }
    #expect(error?.description == "--server: expected unix:PATH, HOST:PORT or [IPv6]:PORT, got '\(text)'")
  }

  @Test("the description reads back as the same address")
  func roundTrip() throws {
    let addresses: [ServerAddress] = [
      .unix(path: "/tmp/a b.sock"), .tcp(host: "10.0.0.2", port: 7), .tcp(host: "::1", port: 443),
      .tcp(host: "example.org", port: 50051),
    ]
    for address in addresses {
      #expect(try ServerAddress(parsing: address.description) == address)
    }
    #expect(ServerAddress.tcp(host: "::1", port: 443).description == "[::1]:443")
  }

  @Test("the default is the daemon's default socket")
  func defaultSocket() {
    guard case .unix(let path) = ServerAddress.defaultSocket else {
      Issue.record("the default is not a Unix socket: \(ServerAddress.defaultSocket)")
      return
    }
    #expect(path.hasSuffix("/simlayd.sock"))
  }
}
