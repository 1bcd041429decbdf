import HTTPTypes
import Hummingbird
import Spillway

/// `X-Spillway-Ack: memory | spool | kafka`: the acknowledgement level a request
/// asks for, on every ingest route. Without it, the topic's default applies
/// (`ack.topics`, then `ack.default`).
enum AckHeader {
    static let name = HTTPField.Name("X-Spillway-Ack")!

    /// The level the request names, or `nil` when it names none.
    static func level(in request: Request) throws(IngestError) -> AckLevel? {
        let values = request.headers[values: name]
        guard let value = values.first else { return nil }
        guard values.count == 1 else {
            throw .malformed("\(name.rawName) is given \(values.count) times; give one level: \(choices)")
        }
        guard let level = AckLevel(rawValue: value.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw .malformed("\(name.rawName) must be one of \(choices), not \"\(value.prefix(100))\"")
        }
        return level
    }

    static let choices = AckLevel.allCases.map(\.rawValue).joined(separator: ", ")
}

/// The reply to a single record at level `spool` or `kafka`: the disposition and
/// what the record had reached when answered.
struct AckReply: Encodable {
    var disposition: String
    /// Why it was dropped.
    var reason: String?
    /// The level asked.
    var ack: String
    /// The level reached: `kafka`, `spool`, `memory`, or absent when not kept.
    var reached: String?
    var partition: Int32?
    var offset: Int64?
    /// Why the answer vouches for less than was asked (`ack_timeout`, …).
    var ackReason: String?

    init(_ acknowledgement: Acknowledgement, asked level: AckLevel) {
        disposition = acknowledgement.disposition.name
        if case .dropped(let dropReason) = acknowledgement.disposition { reason = dropReason.rawValue }
        ack = level.rawValue
        reached = acknowledgement.reached?.rawValue
        partition = acknowledgement.partition
        offset = acknowledgement.offset
        ackReason = acknowledgement.reason?.rawValue
    }
}
