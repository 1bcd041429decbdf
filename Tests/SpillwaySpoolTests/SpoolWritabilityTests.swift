import Foundation
import SpillwaySpool
import SpillwayTestKit
import Testing

/// Issue 13 items 9, 10 and 15: a spool the process cannot write is refused at
/// open, saying why; inspection reads without writing anything; a failed open
/// leaves no lock file beside a file that is not a spool.
@Suite struct SpoolWritabilityTests {
    static func makeSpool(_ directory: TemporaryDirectory, records: Int = 3) throws -> String {
        let path = directory.file("spool.db")
        let spool = try SpoolFixtures.open(SpoolConfiguration(path: path))
        try spool.append(SpoolFixtures.records(0..<records))
        spool.close()
        return path
    }

    static func listing(_ directory: TemporaryDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    @Test(.enabled(if: try Prerequisites.canWriteProtect, "needs write protection: as root, the temporary folder's file system must support the immutable flag (chattr +i)"))
    func openRefusesASpoolFileItCannotWrite() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = try Self.makeSpool(directory)
        let before = try Self.listing(directory)
        try WriteProtection.withUnwritableSync([path]) {
            for options in [SpoolOpenOptions.service, .maintenance] {
                do {
                    let spool = try SpoolFixtures.open(SpoolConfiguration(path: path), options: options)
                    spool.close()
                    Issue.record("an unwritable spool was opened for writing")
                } catch {
                    guard case .notWritable = error as? SpoolError else {
                        Issue.record("wrong error: \(error)")
                        continue
                    }
                    #expect("\(error)".contains("spool at \(path) cannot be written"), "\(error)")
                    #expect("\(error)".contains("read-only"), "\(error)")
                }
            }
        }
        // Not moved aside as if it were corrupt, and every record still there.
        #expect(try Self.listing(directory).filter { !$0.hasSuffix("-wal") && !$0.hasSuffix("-shm") } == before)
        #expect(try Spool.openForInspection(path: path).totals.readyCount == 3)
    }

    @Test(.enabled(if: try Prerequisites.canWriteProtect, "needs write protection: as root, the temporary folder's file system must support the immutable flag (chattr +i)"))
    func openRefusesASpoolInAFolderItCannotWrite() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = try Self.makeSpool(directory)
        try WriteProtection.withUnwritableSync([directory.path]) {
            #expect {
                try SpoolFixtures.open(SpoolConfiguration(path: path), options: .service).close()
            } throws: { error in
                guard case .notWritable = error as? SpoolError else { return false }
                return "\(error)".contains("folder \(directory.path)")
            }
            // A new spool in such a folder cannot be made either, and says so.
            let fresh = directory.file("fresh.db")
            #expect {
                try SpoolFixtures.open(SpoolConfiguration(path: fresh), options: .service).close()
            } throws: { error in
                guard case .notWritable = error as? SpoolError else { return false }
                return true
            }
        }
    }

    @Test func inspectionLeavesNoFilesBehind() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = try Self.makeSpool(directory)
        let before = try Self.listing(directory)
        #expect(!before.contains { $0.hasSuffix("-wal") || $0.hasSuffix("-shm") }, "\(before)")
        do {
            let spool = try Spool.openForInspection(path: path)
            #expect(try spool.statistics().readyCount == 3)
            #expect(try spool.readOldest(limit: 10).count == 3)
            spool.close()
        }
        #expect(try Self.listing(directory) == before)
    }

    @Test(.enabled(if: try Prerequisites.canWriteProtect, "needs write protection: as root, the temporary folder's file system must support the immutable flag (chattr +i)"))
    func inspectionReadsAnUnwritableSpoolInAnUnwritableFolder() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = try Self.makeSpool(directory, records: 5)
        try WriteProtection.withUnwritableSync([path, directory.path]) {
            for check in [SpoolConfiguration.IntegrityCheck.quick, .full] {
                let spool = try Spool.openForInspection(path: path, integrityCheck: check)
                #expect(try spool.statistics().readyCount == 5)
                #expect(try spool.records(matching: SpoolQuery(area: .all), limit: 10).count == 5)
            }
        }
    }

    /// Beside a running writer, inspection sees what the writer committed, its write-ahead log included.
    @Test func inspectionBesideAWriterSeesItsCommits() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = try Self.makeSpool(directory)
        let writer = try SpoolFixtures.open(SpoolConfiguration(path: path))
        defer { writer.close() }
        try writer.append(SpoolFixtures.records(3..<7))
        #expect(try Spool.openForInspection(path: path).totals.readyCount == 7)
    }

    @Test func aFailedOpenLeavesNoLockFileBehind() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let notes = directory.file("notes.txt")
        try Data("just some notes\n".utf8).write(to: URL(fileURLWithPath: notes))
        let empty = directory.file("empty.db")
        FileManager.default.createFile(atPath: empty, contents: Data())
        for (path, options) in [(notes, SpoolOpenOptions.maintenance), (empty, .maintenance), (empty, SpoolOpenOptions(createIfMissing: false, quarantineCorrupt: true))] {
            #expect(throws: SpoolError.self) { try SpoolFixtures.open(SpoolConfiguration(path: path), options: options).close() }
        }
        #expect(try Self.listing(directory) == ["empty.db", "notes.txt"])

        // A lock file that was there before (a spool's own) is left alone.
        let path = try Self.makeSpool(directory)
        let holder = try SpoolFixtures.open(SpoolConfiguration(path: path))
        #expect(throws: SpoolError.self) { try SpoolFixtures.open(SpoolConfiguration(path: path)).close() }
        holder.close()
        #expect(FileManager.default.fileExists(atPath: path + ".lock"))
    }
}
