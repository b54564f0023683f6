import ArgumentParser
import SimlayProto

/// A parsed `--query`: an index into the command's IMAGE list and a cell, a region or a pixel of that image.
///
/// Forms: `I:Y,X` (a cell of the layer), `I:Y0,X0-Y1,X1` (the mean of a region of cells, end exclusive),
/// `I@PX,PY` (the cell under a pixel of the original image).
struct QuerySpec: Equatable {
  enum Position: Equatable {
    case cell(y: Int32, x: Int32)
    case region(y0: Int32, x0: Int32, y1: Int32, x1: Int32)
    case pixel(px: Double, py: Double)
  }

  var image: Int
  var position: Position

  /// The accepted forms, for messages.
  static let forms = "expected I:Y,X (a cell), I:Y0,X0-Y1,X1 (a region, end exclusive) or I@PX,PY (a pixel)"

  /// Parses the text of `--query`; the error is a `ValidationError` so argument-parser reports it as
  /// "The value ... is invalid for '--query <query>': ...".
  init(parsing text: String) throws {
    let bad = ValidationError(Self.forms)
    if text.contains("@") {
      let point = try PointSpec(parsing: text)
      self.init(image: point.image, position: .pixel(px: point.px, py: point.py))
      return
    }
    guard let colon = text.firstIndex(of: ":"), let image = Int(text[..<colon]), image >= 0 else { throw bad }
    let rest = text[text.index(after: colon)...]
    let ends = rest.split(separator: "-", omittingEmptySubsequences: false)
    func pair(_ s: Substring) throws -> (Int32, Int32) {
      let v = s.split(separator: ",", omittingEmptySubsequences: false).map {
        Int32($0.trimmingCharacters(in: .whitespaces))
      }
      guard v.count == 2, let a = v[0], let b = v[1], a >= 0, b >= 0 else { throw bad }
      return (a, b)
    }
    switch ends.count {
    case 1:
      let (y, x) = try pair(ends[0])
      self.init(image: image, position: .cell(y: y, x: x))
    case 2:
      let (y0, x0) = try pair(ends[0])
      let (y1, x1) = try pair(ends[1])
      guard y1 > y0, x1 > x0 else {
        throw ValidationError("the region's end (Y1,X1) must exceed its start (Y0,X0); the end is exclusive")
      }
      self.init(image: image, position: .region(y0: y0, x0: x0, y1: y1, x1: x1))
    default:
      throw bad
    }
  }

  init(image: Int, position: Position) {
    self.image = image
    self.position = position
  }

  /// The wire query for the image with id `imageID`.
  func proto(imageID: String) -> Simlay_V1_Query {
    Simlay_V1_Query.with { q in
      q.imageID = imageID
      switch position {
      case .cell(let y, let x):
        q.cell = .with {
          $0.y = y
          $0.x = x
        }
      case .region(let y0, let x0, let y1, let x1):
        q.region = .with {
          $0.y0 = y0
          $0.x0 = x0
          $0.y1 = y1
          $0.x1 = x1
        }
      case .pixel(let px, let py):
        q.pixel = .with {
          $0.px = px
          $0.py = py
        }
      }
    }
  }
}

/// A parsed `I@PX,PY`: an index into the IMAGE list and a pixel (x right, y down) of that original image.
struct PointSpec: Equatable {
  var image: Int
  var px: Double
  var py: Double

  init(parsing text: String) throws {
    let bad = ValidationError("expected I@PX,PY (image index, then a pixel of that image: x, y)")
    let parts = text.split(separator: "@", omittingEmptySubsequences: false)
    guard parts.count == 2, let image = Int(parts[0]), image >= 0 else { throw bad }
    let xy = parts[1].split(separator: ",", omittingEmptySubsequences: false).map {
      Double($0.trimmingCharacters(in: .whitespaces))
    }
    guard xy.count == 2, let px = xy[0], let py = xy[1], px.isFinite, py.isFinite, px >= 0, py >= 0 else { throw bad }
    (self.image, self.px, self.py) = (image, px, py)
  }

  /// The wire pixel.
  var pixel: Simlay_V1_Pixel {
    .with {
      $0.px = px
      $0.py = py
    }
  }
}

/// `--metric`: how a query vector is compared with each cell.
enum MetricChoice: String, CaseIterable, ExpressibleByArgument {
  case cosine, dot, euclidean

  var proto: Simlay_V1_Metric {
    switch self {
    case .cosine: return .cosine
    case .dot: return .dot
    case .euclidean: return .euclidean
    }
  }
}

/// Checks that an image index from `--query`/`--point` falls inside the IMAGE list.
func checkImageIndex(_ index: Int, flag: String, count: Int) throws {
  guard index < count else {
    let given = "\(count) IMAGE\(count == 1 ? "" : "s") given"
    throw ValidationError("\(flag): image index \(index) is out of range: \(given) (indices start at 0)")
  }
}
