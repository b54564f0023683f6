import SimlayImaging
import Testing

@Suite("ImagingError")
struct ImagingErrorTests {
  @Test func descriptionShowsCodeAndMessage() {
    let error = ImagingError(code: .truncated, message: "a.png: truncated PNG")
    #expect(error.description == "truncated: a.png: truncated PNG")
  }

  @Test func messagesAreFlattenedToOneLine() {
    let error = ImagingError(code: .corrupt, message: "first\nsecond\r\nthird")
    let hasLineBreak = error.message.contains(where: \.isNewline)
    #expect(!hasLineBreak)
    #expect(error.message.contains("first") && error.message.contains("third"))
  }

  @Test func codesAreDistinctAndNamed() {
    let codes: [ImagingError.Code] = [
      .notAnImage, .truncated, .tooLarge, .empty, .corrupt, .io, .invalidArgument,
    ]
    #expect(Set(codes).count == codes.count)
    #expect(
      codes.map(\.description) == [
        "notAnImage", "truncated", "tooLarge", "empty", "corrupt", "io", "invalidArgument",
      ])
  }
}
