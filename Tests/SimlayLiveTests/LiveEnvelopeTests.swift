import Foundation
import GRPCCore
@_spi(Testing) import SimlayLive
import Testing

/// A page's text messages, parsed: what is echoed back must be valid JSON whatever the page sent.
struct LiveEnvelopeTests {
  @Test func idsAreEchoedAsJSON() throws {
    #expect(try LiveEnvelope(#"{"op":"call","id":42}"#).id == "42")
    let quoted = try LiveEnvelope(#"{"op":"call","id":"a\"b</script>"}"#).id
    let decoded = try JSONSerialization.jsonObject(with: Data("[\(quoted!)]".utf8)) as? [String]
    #expect(decoded == ["a\"b</script>"])
    #expect(try LiveEnvelope(#"{"op":"call","id":{"x":1}}"#).id == nil)
    let long = String(repeating: "z", count: 1000)
    #expect(try LiveEnvelope(#"{"op":"call","id":"\#(long)"}"#).id!.count <= 66)
  }

  @Test func notAnObjectOrNoOpIsMalformed() {
    for text in ["", "[]", "42", #"{"seq":1}"#, #"{"op":7}"#, "{"] {
      #expect(throws: LiveEnvelope.Malformed.self) { try LiveEnvelope(text) }
    }
  }

  @Test func hoverRequestsDecodeAndAreBounded() throws {
    let one = #"{"layer":"blocks.10","query":{"imageId":"a","cell":{"y":3,"x":4}},"targetIds":["a","b"],"topK":2}"#
    let job = try LiveEnvelope(#"{"op":"hover","seq":9,"requests":[\#(one),\#(one)]}"#).hoverJob(maxRows: 2)
    #expect(job.seq == 9 && job.requests.count == 2)
    #expect(job.requests[0].query.cell.y == 3 && job.requests[0].targetIds == ["a", "b"] && job.requests[0].topK == 2)
    let tooMany = try LiveEnvelope(#"{"op":"hover","seq":1,"requests":[\#(one),\#(one),\#(one)]}"#)
    #expect { try tooMany.hoverJob(maxRows: 2) } throws: { ($0 as? RPCError)?.code == .resourceExhausted }
    for bad in [
      #"{"op":"hover","requests":[\#(one)]}"#, #"{"op":"hover","seq":-1,"requests":[\#(one)]}"#,
      #"{"op":"hover","seq":1,"requests":[]}"#, #"{"op":"hover","seq":1,"requests":[1]}"#,
      #"{"op":"hover","seq":1,"requests":[{"layer":3}]}"#, #"{"op":"hover","seq":1,"requests":[{"noSuch":1}]}"#,
    ] {
      #expect { try LiveEnvelope(bad).hoverJob(maxRows: 4) } throws: { ($0 as? RPCError)?.code == .invalidArgument }
    }
  }

  @Test func callsNeedAMethodAndAnObject() throws {
    let (method, json) = try LiveEnvelope(#"{"op":"call","method":"Pca","request":{"layer":"x"}}"#).call()
    #expect(method == "Pca" && String(decoding: json, as: UTF8.self).contains("\"layer\""))
    #expect(try LiveEnvelope(#"{"op":"call","method":"Stats"}"#).call().json == Data("{}".utf8))
    #expect { try LiveEnvelope(#"{"op":"call","request":{}}"#).call() } throws: {
      ($0 as? RPCError)?.code == .invalidArgument
    }
    #expect { try LiveEnvelope(#"{"op":"call","method":"Pca","request":[1]}"#).call() } throws: {
      ($0 as? RPCError)?.code == .invalidArgument
    }
  }
}
