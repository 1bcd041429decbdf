import Foundation
import SpillwaySpool
import SpillwayTestKit
import Testing

@Suite struct SpoolCommandTests {
    @Test func statsReportsCountsAgesAndTopics() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        try SpoolFixtures.varied(at: path)

        let json = try await CLI.run("spool", "stats", "--spool", path, "--json")
        #expect(json.status == 0, "\(json.stderr)")
        let stats = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        #expect(stats["ready_count"] as? Int == 32)
        #expect(stats["dead_count"] as? Int == 1)
        #expect(stats["schema_version"] as? Int == 6)
        // The 2,000-byte dead letter of one repeated byte is stored compressed; the short values as sent.
        let original = try #require(stats["original_value_bytes"] as? Int)
        let stored = try #require(stats["stored_value_bytes"] as? Int)
        #expect(original > 2000 && stored < original - 1900, "stored \(stored) of \(original)")
        #expect(stats["oldest_timestamp"] as? Int == 1_764_000_000_000)
        #expect(stats["newest_timestamp"] as? Int == 1_764_000_200_000)
        let topics = stats["topics"] as! [[String: Any]]
        #expect(topics.map { $0["topic"] as! String } == ["clicks", "too-big", "views"])
        #expect(topics.map { $0["ready_count"] as! Int } == [10, 0, 22])

        let text = try await CLI.run("spool", "stats", "--spool", path)
        #expect(text.status == 0)
        #expect(text.stdout.contains("32 records"))
        #expect(text.stdout.contains("dead letters"))
        #expect(text.stdout.contains("clicks"))
        #expect(text.stdout.contains("values") && text.stdout.contains("as sent") && text.stdout.contains("as stored"))
    }

    @Test func listFiltersByTopicTimeAndArea() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        try SpoolFixtures.varied(at: path)

        let clicks = try await CLI.run("spool", "list", "--spool", path, "--topic", "clicks", "--limit", "100", "--json")
        #expect(clicks.status == 0)
        let lines = clicks.stdout.split(separator: "\n")
        #expect(lines.count == 10)
        #expect(lines.allSatisfy { $0.contains("\"topic\":\"clicks\"") })

        let recent = try await CLI.run("spool", "list", "--spool", path, "--since", "1764000025000", "--json", "--limit", "100")
        #expect(recent.stdout.split(separator: "\n").count == 7, "records 25…29 and the two later ones")

        let limited = try await CLI.run("spool", "list", "--spool", path, "--limit", "5")
        #expect(limited.status == 0)
        #expect(limited.stdout.contains("(5 of 32 shown"))
        #expect(limited.stdout.hasPrefix("ID"))

        let dead = try await CLI.run("spool", "list", "--spool", path, "--dead")
        #expect(dead.stdout.contains("MSG_SIZE_TOO_LARGE"))
        #expect(dead.stdout.contains("too-big"))
    }

    @Test func peekShowsTextOrHex() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        try SpoolFixtures.varied(at: path)

        let text = try await CLI.run("spool", "peek", "1", "--spool", path)
        #expect(text.status == 0)
        #expect(text.stdout.contains("topic       clicks"))
        #expect(text.stdout.contains("header      source: web"))
        #expect(text.stdout.hasSuffix("{\"n\":0,\"path\":\"/a/b\"}\n"))

        let binary = try await CLI.run("spool", "peek", "31", "--spool", path)
        #expect(binary.stdout.contains("00000000  00 ff c3 28 0a 7f"))
        let base64 = try await CLI.run("spool", "peek", "31", "--spool", path, "--format", "base64")
        #expect(base64.stdout.hasSuffix(Data(SpoolFixtures.binaryValue).base64EncodedString() + "\n"))

        let dead = try await CLI.run("spool", "peek", "33", "--spool", path)
        #expect(dead.stdout.contains("dead letter: MSG_SIZE_TOO_LARGE"))

        CLI.expectOneLineError(try await CLI.run("spool", "peek", "999", "--spool", path), containing: "no record with id 999")
    }

    @Test func exportThenImportIsByteIdentical() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        try SpoolFixtures.varied(at: path)
        let exportPath = directory.file("export.ndjson")

        let export = try await CLI.run("spool", "export", "--spool", path, "--output", exportPath)
        #expect(export.status == 0, "\(export.stderr)")
        let exported = try Data(contentsOf: URL(fileURLWithPath: exportPath))
        #expect(String(decoding: exported, as: UTF8.self).split(separator: "\n").count == 33)
        #expect(String(decoding: exported, as: UTF8.self).contains("\"value_encoding\":\"base64\""))

        let copy = directory.file("copy.db")
        let imported = try await CLI.run("spool", "import", "--spool", copy, exportPath)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stderr.contains("imported 33 records"))

        let reexport = try await CLI.run("spool", "export", "--spool", copy)
        #expect(Data(reexport.stdout.utf8) == exported)

        // And the records themselves match field for field.
        let original = try Spool.openForInspection(path: path).records(matching: SpoolQuery(area: .all), limit: 100)
        let roundTripped = try Spool.openForInspection(path: copy).records(matching: SpoolQuery(area: .all), limit: 100)
        #expect(original == roundTripped)
    }

    /// Kafka's NULL value and NULL header values leave as `null` and come back
    /// NULL, empty ones as `""` and back empty; `list` and `peek` say which is which.
    @Test func exportThenImportKeepsNullApartFromEmpty() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        let headers = [RecordHeader(name: "n", value: nil), RecordHeader(name: "e", value: []), RecordHeader(name: "b", value: [0xFF])]
        try SpoolFixtures.spool(
            at: path,
            records: [
                Record(topic: "compacted", key: Array("gone".utf8), value: nil, headers: headers, timestamp: 1_764_000_000_000),
                Record(topic: "compacted", key: Array("empty".utf8), value: [], headers: headers, timestamp: 1_764_000_000_001),
            ],
            deadLetters: [Record(topic: "compacted", value: nil, timestamp: 1_764_000_000_002)]
        )
        let exportPath = directory.file("export.ndjson")
        let export = try await CLI.run("spool", "export", "--spool", path, "--output", exportPath)
        #expect(export.status == 0, "\(export.stderr)")
        let exported = try Data(contentsOf: URL(fileURLWithPath: exportPath))
        let lines = String(decoding: exported, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        let headersJSON = #""headers":[{"name":"n","value":null},{"encoding":"utf8","name":"e","value":""},{"encoding":"base64","name":"b","value":"\/w=="}]"#
        #expect(lines[0].contains(#""value":null"#) && !lines[0].contains("value_encoding"), "\(lines[0])")
        #expect(lines[0].contains(headersJSON) || lines[0].contains(headersJSON.replacingOccurrences(of: "\\/", with: "/")), "\(lines[0])")
        #expect(lines[1].contains(#""value":"","value_encoding":"utf8""#), "\(lines[1])")
        #expect(lines[2].contains(#""value":null"#), "\(lines[2])")

        let copy = directory.file("copy.db")
        let imported = try await CLI.run("spool", "import", "--spool", copy, exportPath)
        #expect(imported.status == 0, "\(imported.stderr)")
        let original = try Spool.openForInspection(path: path).records(matching: SpoolQuery(area: .all), limit: 10)
        let roundTripped = try Spool.openForInspection(path: copy).records(matching: SpoolQuery(area: .all), limit: 10)
        #expect(roundTripped == original)
        #expect(roundTripped.map { $0.record.value == nil } == [true, false, true])
        #expect(roundTripped.first?.record.headers.map(\.value) == [nil, [], [0xFF]])
        let reexport = try await CLI.run("spool", "export", "--spool", copy)
        #expect(Data(reexport.stdout.utf8) == exported)

        let peek = try await CLI.run("spool", "peek", "1", "--spool", path)
        #expect(peek.stdout.contains("NULL value (a tombstone)"), "\(peek.stdout)")
        #expect(peek.stdout.contains("header      n: (NULL)"), "\(peek.stdout)")
        let peekEmpty = try await CLI.run("spool", "peek", "2", "--spool", path)
        #expect(peekEmpty.stdout.contains("size        0 bytes"), "\(peekEmpty.stdout)")
        let list = try await CLI.run("spool", "list", "--spool", path)
        #expect(list.stdout.contains("(NULL)"), "\(list.stdout)")
    }

    @Test func purgeNeedsYesAndDeletesWhatItSays() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        try SpoolFixtures.varied(at: path)

        // Counting only reads: it works while a service holds the spool.
        let holder = try SpoolFixtures.open(SpoolConfiguration(path: path))
        let dryRun = try await CLI.run("spool", "purge", "--spool", path, "--topic", "clicks")
        CLI.expectOneLineError(dryRun, containing: "would purge 10 records")
        holder.close()
        // The `--yes` runs below take the lock `holder` just released. They are started through
        // ChildProcess, one start at a time, after every child that was being started while
        // `holder` held the lock (and so had a copy of its descriptor until it exec'd).
        #expect(try Spool.openForInspection(path: path).totals.readyCount == 32, "nothing deleted without --yes")

        let nothingChosen = try await CLI.run("spool", "purge", "--spool", path, "--yes")
        #expect(nothingChosen.status != 0)
        #expect(nothingChosen.stderr.contains("say what to purge"))

        let purged = try await CLI.run("spool", "purge", "--spool", path, "--topic", "clicks", "--yes")
        #expect(purged.status == 0)
        #expect(purged.stdout.contains("purged 10 records"))
        let dead = try await CLI.run("spool", "purge", "--spool", path, "--dead", "--yes")
        #expect(dead.stdout.contains("purged 1 record ("))
        let spool = try Spool.openForInspection(path: path)
        #expect(spool.totals.readyCount == 22)
        #expect(spool.totals.deadCount == 0)
        #expect(try spool.statistics().topics.map(\.topic) == ["views"])
    }

    @Test func everyBadSpoolGivesAOneLineError() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }

        let missing = directory.file("missing.db")
        for command in [["stats"], ["list"], ["peek", "1"], ["export"], ["purge", "--all", "--yes"], ["check"]] {
            CLI.expectOneLineError(try await CLI.run(["spool"] + command + ["--spool", missing]), containing: "no spool at \(missing)")
        }
        #expect(!FileManager.default.fileExists(atPath: missing))

        let text = directory.file("notes.txt")
        try Data("just some notes\n".utf8).write(to: URL(fileURLWithPath: text))
        CLI.expectOneLineError(try await CLI.run("spool", "stats", "--spool", text), containing: "is not a Spillway spool")
        CLI.expectOneLineError(try await CLI.run("spool", "stats", "--spool", directory.path), containing: "it is a directory")

        let empty = directory.file("empty.db")
        FileManager.default.createFile(atPath: empty, contents: Data())
        CLI.expectOneLineError(try await CLI.run("spool", "purge", "--all", "--yes", "--spool", empty), containing: "the file is empty")
        #expect((try FileManager.default.attributesOfItem(atPath: empty)[.size] as? Int) == 0, "an empty file is not turned into a spool")

        let corrupt = directory.file("corrupt.db")
        try SpoolFixtures.varied(at: corrupt)
        let spool = try SpoolFixtures.open(SpoolConfiguration(path: corrupt))
        try spool.append((0..<3000).map { Record(topic: "t", value: Array(repeating: UInt8($0 % 200), count: 300), timestamp: 0) })
        spool.close()
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: corrupt))
        for page in stride(from: 2, to: 200, by: 3) {
            try handle.seek(toOffset: UInt64(page * 4096 + 8))
            try handle.write(contentsOf: Data(repeating: 0xEE, count: 600))
        }
        try handle.close()
        for command in [["stats"], ["list"], ["export"], ["check"], ["purge", "--all", "--yes"]] {
            CLI.expectOneLineError(try await CLI.run(["spool"] + command + ["--spool", corrupt]), containing: "is corrupt")
        }

        let locked = directory.file("locked.db")
        try SpoolFixtures.varied(at: locked)
        let holder = try SpoolFixtures.open(SpoolConfiguration(path: locked))
        defer { holder.close() }
        CLI.expectOneLineError(try await CLI.run("spool", "purge", "--all", "--yes", "--spool", locked), containing: "spool at \(locked) is locked by another process (pid \(getpid()))")
        CLI.expectOneLineError(try await CLI.run("spool", "import", "--spool", locked, "/dev/null"), containing: "is locked by another process")
        // Reading beside a running writer works.
        #expect(try await CLI.run("spool", "stats", "--spool", locked).status == 0)
    }
}
