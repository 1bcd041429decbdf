import Foundation
import Spillway
@testable import SpillwayCLI
import SpillwayService
import Testing

/// Issue 9: each configuration key is written once, and everything about it
/// (environment variable, documented range, README row) is derived from it.
@Suite struct ConfigurationKeysTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func readmeTableIsTheKeyList() async throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let begin = "<!-- spillway config keys --markdown -->"
        let end = "<!-- end of spillway config keys -->"
        let start = try #require(readme.range(of: begin), "README has no \(begin) marker")
        let stop = try #require(readme.range(of: end), "README has no \(end) marker")
        let table = readme[start.upperBound..<stop.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(table == ConfigCommand.Keys.table(), "README's configuration table is not `spillway config keys --markdown`: paste its output")
    }

    @Test func everyKeyIsNamedOnceInTheSource() async throws {
        // Where keys are read, shown and checked: the name appears in its definition only.
        let places = ["Sources/SpillwayService", "Sources/SpillwayCLI/Service", "Sources/SpillwayCLI/Top", "Sources/SpillwayCLI/SpillwayCommand.swift"]
        var lines: [(file: String, text: String)] = []
        for place in places {
            let url = Self.root.appendingPathComponent(place)
            let files = url.pathExtension == "swift" ? [url]
                : (FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []).filter { $0.pathExtension == "swift" }
            for file in files {
                for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
                    lines.append((file.lastPathComponent, String(line)))
                }
            }
        }
        #expect(lines.count > 500, "read \(lines.count) lines under \(Self.root.path)")
        for key in SettingsKeys.all {
            let hits = lines.filter { Self.mentions($0.text, key.name) }
            #expect(hits.count == 1, "\(key.name) is written \(hits.count) times: \(hits.map(\.file))")
            let variable = lines.filter { $0.text.contains(key.environmentVariable) }
            #expect(variable.isEmpty, "\(key.environmentVariable) is written out instead of derived: \(variable.map(\.file))")
        }
    }

    /// A dotted name anywhere in code; a one-word name as a string literal.
    static func mentions(_ line: String, _ name: String) -> Bool {
        guard name.contains(".") else { return line.contains("\"\(name)\"") }
        var rest = line[...]
        while let range = rest.range(of: name) {
            let before = range.lowerBound == line.startIndex ? nil : line[line.index(before: range.lowerBound)]
            let after = range.upperBound == line.endIndex ? nil : line[range.upperBound]
            let partOfName: (Character?) -> Bool = { $0.map { $0.isLetter || $0.isNumber || $0 == "_" } ?? false }
            if !partOfName(before), before != ".", !partOfName(after) { return true }
            rest = line[range.upperBound...]
        }
        return false
    }

    @Test func everyKeyIsReadFromItsEnvironmentVariable() async throws {
        for key in SettingsKeys.all {
            let given: String
            switch key.name {
            case _ where key.isSecret: given = "a-token-of-at-least-16"
            case "ack.topics": given = "clicks=kafka,page-views=spool"  // topic=level entries, as rendered (sorted)
            case _ where key.defaultValue.hasPrefix("(") && key.kind.range != nil: given = "9092"  // unset by default: an in-range number
            case _ where key.defaultValue.hasPrefix("("): given = "page-views,clicks"
            default: given = key.defaultValue
            }
            let settings = try await SettingsLoader.load(file: nil, environment: [key.environmentVariable: given])
            #expect(key.value(in: settings) == (key.isSecret ? "(set)" : given), "\(key.environmentVariable)=\(given)")
            #expect(key.environmentVariable.hasPrefix("SPILLWAY_") && !key.environmentVariable.contains("."))
        }
    }

    @Test func everyNumericKeyHasARangeThatHoldsItsDefaultAndIsEnforced() async throws {
        for key in SettingsKeys.all {
            let bounds: (below: String, above: String)?
            switch key.kind {
            case .integer(let range), .milliseconds(let range): bounds = ("\(range.lowerBound - 1)", "\(range.upperBound + 1)")
            case .number(let range): bounds = ("\(range.lowerBound - 0.001)", "\(range.upperBound + 1)")
            default: bounds = nil
            }
            guard let bounds else {
                #expect(key.kind.range == nil)
                continue
            }
            #expect(key.kind.range != nil, "\(key.name) has no documented range")
            if !key.defaultValue.hasPrefix("(") {
                _ = try await SettingsLoader.load(file: nil, environment: [key.environmentVariable: key.defaultValue])
            }
            for outside in [bounds.below, bounds.above] {
                await #expect("\(key.name) = \(outside)") {
                    try await SettingsLoader.load(file: nil, environment: [key.environmentVariable: outside])
                } throws: { error in
                    "\(error)".contains(key.name) && "\(error)".contains("must be between")
                }
            }
        }
    }

    @Test func theExampleConfigurationIsValid() async throws {
        let settings = try await SettingsLoader.load(file: Self.root.appendingPathComponent("tools/spillway.example.json").path, environment: [:])
        #expect(settings.topicAllowlist?.isEmpty == false)
        #expect(settings.pipeline.kafka.properties.isEmpty == false)
    }

    @Test func theClustersExampleIsValidAndRoutesItsTopics() async throws {
        let settings = try await SettingsLoader.load(file: Self.root.appendingPathComponent("tools/spillway.clusters.example.json").path, environment: [:])
        let compartments = try settings.compartments()
        #expect(compartments.map(\.cluster) == ["default", "audit"])
        #expect(compartments[1].configuration.kafka.bootstrapServers == ["audit-kafka-1:9092", "audit-kafka-2:9092"])
        #expect(compartments[1].configuration.spool.path == "spillway-data/spool.audit.db")
        let routes = try TopicRoutes(try settings.routes(), clusters: ["default", "audit"])
        #expect(routes.cluster(forTopic: "audit.login") == "audit" && routes.cluster(forTopic: "page-views") == "default")
    }

    @Test func keysListsTypeDefaultRangeAndVariable() {
        let listing = ConfigCommand.Keys.listing()
        for key in SettingsKeys.all {
            #expect(listing.contains("\(key.name) (\(key.kind.typeName)), default \(key.defaultValue)"), "\(key.name)")
            #expect(listing.contains(key.environmentVariable))
            if let range = key.kind.range { #expect(listing.contains("range \(range)")) }
        }
    }
}
