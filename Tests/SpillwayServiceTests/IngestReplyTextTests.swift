import Foundation
import Spillway
@testable import SpillwayService
import Testing

/// The single-record route writes its `memory` reply and reads its path by
/// hand, for speed; both must say exactly what the general code says.
@Suite struct IngestReplyTextTests {
    @Test(arguments: ["delivered", "queued", "spooled"])
    func anAcceptedRecordsReplyIsWhatTheEncoderWrote(_ disposition: String) throws {
        let encoded = try JSONResponse.encoder.encode(["disposition": disposition])
        #expect(IngestRoutes.dispositionReply(disposition) == Array(encoded))
    }

    @Test(arguments: DropReason.allCases)
    func aDroppedRecordsReplyIsWhatTheEncoderWrote(_ reason: DropReason) throws {
        let encoded = try JSONResponse.encoder.encode(["disposition": "dropped", "reason": reason.rawValue])
        #expect(IngestRoutes.dispositionReply("dropped", reason: reason.rawValue) == Array(encoded))
    }

    @Test(arguments: [
        ("/v1/topics/metrics", false), ("/v1/topics//records", true), ("//", true), ("/", false),
        ("", false), ("/v1/topics/a/records", false), ("/v1/topics/a//", true),
    ])
    func anEmptySegmentIsTwoSlashesInARow(_ path: String, _ empty: Bool) {
        #expect(IngestRoutes.hasEmptySegment(path) == empty)
        #expect(IngestRoutes.hasEmptySegment(path) == path.contains("//"), "the same answer as Foundation's")
    }
}
