// Writes the spool's SQL migrations into a Swift source file, so the binary
// carries its schema and `migrations/` stays the single source of truth.
//
// usage: SpillwayMigrationEmbedder OUTPUT.swift MIGRATION.sql...
import Foundation

let arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.first else {
    FileHandle.standardError.write(Data("usage: SpillwayMigrationEmbedder OUTPUT.swift MIGRATION.sql...\n".utf8))
    exit(64)
}

var entries: [(version: Int, name: String, sql: String)] = []
for path in arguments.dropFirst() {
    let file = URL(fileURLWithPath: path).lastPathComponent
    let stem = file.hasSuffix(".sql") ? String(file.dropLast(4)) : file
    let parts = stem.split(separator: "_", maxSplits: 1)
    guard parts.count == 2, let version = Int(parts[0]), version > 0 else {
        FileHandle.standardError.write(Data("error: migration \(file) must be named NNNN_name.sql\n".utf8))
        exit(65)
    }
    let sql = try String(contentsOfFile: path, encoding: .utf8)
    entries.append((version, String(parts[1]), sql))
}
entries.sort { $0.version < $1.version }
for (index, entry) in entries.enumerated() where entry.version != index + 1 {
    FileHandle.standardError.write(Data("error: migrations must be numbered 1, 2, 3… without gaps; found \(entry.version) at position \(index + 1)\n".utf8))
    exit(65)
}

func swiftLiteral(_ text: String) -> String {
    // A raw string with enough #s that the SQL cannot end it early.
    var hashes = "#"
    while text.contains("\"" + hashes) { hashes += "#" }
    return "\(hashes)\"\"\"\n\(text)\n\"\"\"\(hashes)"
}

var source = "// Generated at build time from migrations/*.sql by SpillwayMigrationEmbedder. Do not edit.\n\n"
source += "extension SpoolMigration {\n    /// Every migration shipped with this binary, in version order.\n    static let embedded: [SpoolMigration] = [\n"
for entry in entries {
    source += "        SpoolMigration(version: \(entry.version), name: \"\(entry.name)\", sql: \(swiftLiteral(entry.sql))),\n"
}
source += "    ]\n}\n"

let data = Data(source.utf8)
if (try? Data(contentsOf: URL(fileURLWithPath: output))) != data {
    try data.write(to: URL(fileURLWithPath: output), options: .atomic)
}
