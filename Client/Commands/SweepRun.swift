import Foundation
import SimlayClient
import SimlayCore
import SimlayImaging
import SimlayProto

extension SweepOptions {
  /// Uploads the IMAGEs, runs one sweep per IMAGE (with the --query that name it) and writes the outputs
  /// asked for (a table on stdout when none is).
  func run(connection: ConnectionOptions, transform: Simlay_V1_Transform, params: [Double]) async throws {
    let files = try ImageFiles(images)
    let options = try render.proto()
    try await connection.withDaemon { daemon in
      let infos = try await daemon.upload(files, model: model)
      var results: [SweepResult] = []
      for (i, info) in infos.enumerated() {
        let mine = query.indices.filter { query[$0].image == i }
        var request = Simlay_V1_SweepRequest()
        request.model = model
        request.layer = layer
        request.imageID = info.id
        request.transform = transform
        request.params = params
        request.queryPoints = mine.map { query[$0].proto(imageID: "") }
        request.queryLabels = mine.map { label($0) }
        request.metric = metric.proto
        request.fill = fill.proto
        request.transformSpace = transformSpace.proto
        if let trackRadius { request.trackRadius = Int32(trackRadius) }
        request.chart = chart != nil && images.count == 1
        if out != nil { request.render = options }
        let what = images.count == 1 ? "" : " for \(images[i])"
        let response = try await withProgress("computing \(params.count) transformed forward passes\(what)...") {
          try await daemon.sweep(request)
        }
        let result = try SweepResult(
          response, transform: transform, queries: mine.map { (index: $0, spec: query[$0], label: label($0)) },
          trackRadius: trackRadius != nil)
        results.append(result)
        if let out {
          try OutputFile.write(response.stripPng, to: images.count == 1 ? out : Self.numbered(out, i))
        }
        if let chart, images.count == 1 { try OutputFile.write(response.chartPng, to: chart) }
      }
      if let csv {
        try OutputFile.write(Data((results[0].csvHeader + results.map(\.csvRows).joined()).utf8), to: csv)
      }
      if let chart, images.count > 1 {
        try OutputFile.write(Data(try PNGEncoder.encode(combinedChart(results))), to: chart)
      }
      if let json {
        let documents = results.indices.map { i in
          results[i].json(
            model: model, metric: metric.rawValue, fill: fill.rawValue, space: transformSpace.rawValue,
            image: images[i], imageID: infos[i].id)
        }
        if documents.count == 1 {
          try JSONOutput.write(documents[0], to: json)
        } else {
          try JSONOutput.write(["sweeps": documents], to: json)
        }
      }
      if csv == nil, chart == nil, out == nil, json == nil {
        for (i, result) in results.enumerated() {
          if images.count > 1 { print("\(images[i]):") }
          result.table.forEach { print($0) }
        }
      }
    }
  }

  /// Every sweep's lines in one chart, in --query order (so colours follow it), named "label spec (image)".
  func combinedChart(_ results: [SweepResult]) -> RGBImage {
    var curves: [(index: Int, curve: SweepChart.Curve)] = []
    for (i, r) in results.enumerated() {
      let image = (images[i] as NSString).lastPathComponent
      for (q, query) in r.queries.enumerated() {
        let values = r.steps.map { $0.tracked[q].inBounds ? $0.tracked[q].similarity : .nan }
        let name = "\(query.label) \(query.spec.text) (\(image))"
        curves.append((query.index, SweepChart.Curve(name: name, params: r.steps.map(\.param), values: values)))
      }
    }
    return SweepChart.render(
      title: "\(results[0].layer): tracked-patch similarity (\(metric.rawValue))",
      rotate: results[0].transform == "rotate", curves: curves.sorted { $0.index < $1.index }.map(\.curve))
  }

  /// `path` with "-i" before its extension: strip.png -> strip-1.png.
  static func numbered(_ path: String, _ i: Int) -> String {
    let url = URL(fileURLWithPath: path)
    let ext = url.pathExtension
    let stem = ext.isEmpty ? path : String(path.dropLast(ext.count + 1))
    return ext.isEmpty ? "\(stem)-\(i)" : "\(stem)-\(i).\(ext)"
  }
}
