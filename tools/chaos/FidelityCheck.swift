import Foundation
import SpillwayRehearsal
import SpillwayTestKit

/// A few records with every field set, sent once through the service and
/// compared field by field with what the broker hands back: text and binary
/// keys, headers (empty and non-ASCII values too), an explicit partition, and
/// the timestamp Spillway stamped. The ids of the load say nothing about these.
struct FidelityCheck {
    struct Expected {
        var value: String
        var key: [UInt8]?
        var headers: [String: [UInt8]?]
        var partition: Int32?
    }

    static let expected = [
        Expected(value: "fidelity-1", key: Array("fidelity-key-1".utf8), headers: ["trace": Array("t-1".utf8), "empty": []], partition: 1),
        Expected(value: "fidelity-2", key: nil, headers: ["utf8": Array("é✓".utf8)], partition: nil),
        Expected(value: "fidelity-3", key: [0, 1, 2, 255], headers: [:], partition: 0),
    ]

    /// The same records as a native batch (`POST /v1/topics/{topic}/records`).
    static let body = """
        [{"key": "fidelity-key-1", "value": "fidelity-1", "headers": {"trace": "t-1", "empty": ""}, "partition": 1},
         {"value": "fidelity-2", "headers": {"utf8": "é✓"}},
         {"key": "AAEC/w==", "key_encoding": "base64", "value": "ZmlkZWxpdHktMw==", "value_encoding": "base64", "partition": 0}]
        """

    /// Milliseconds since 1970 around the request: the stamped timestamps fall inside.
    let sentAfter: Int64
    let answeredBefore: Int64

    /// Sends the batch; `nil` with the reason if the service did not take all of it.
    static func send(to ingest: String, topic: String) async -> Result<FidelityCheck, ChaosFailure> {
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        do {
            let (status, answer) = try await HTTP.send("POST", "\(ingest)/v1/topics/\(topic)/records", body: Data(body.utf8))
            guard status == 202, answer.contains("\"accepted\":3") else { return .failure(ChaosFailure("the fidelity batch was not taken whole: \(status) \(answer)")) }
        } catch {
            return .failure(ChaosFailure("the fidelity batch could not be sent: \(error)"))
        }
        return .success(FidelityCheck(sentAfter: before, answeredBefore: Int64(Date().timeIntervalSince1970 * 1000)))
    }

    /// Every difference between what was sent and what was read, in words.
    func problems(in samples: [ConsumedRecord]) -> [String] {
        var problems: [String] = []
        for expected in Self.expected {
            // At-least-once: a sample may come twice; each copy must be intact.
            let copies = samples.filter { $0.value == Array(expected.value.utf8) }
            if copies.isEmpty { problems.append("\(expected.value) never arrived") }
            for record in copies {
                if record.key != expected.key { problems.append("\(expected.value): key \(record.key.map { "\($0)" } ?? "none"), sent \(expected.key.map { "\($0)" } ?? "none")") }
                // Spillway adds the record id header (`record_id_header`) and, to a resend
                // that may be a duplicate, the possibly-persisted mark: the rest is as sent.
                var headers = record.headers
                if (headers.removeValue(forKey: Rehearsal.recordIDHeader) ?? nil)?.isEmpty != false {
                    problems.append("\(expected.value): no \(Rehearsal.recordIDHeader) header with the record's id")
                }
                headers.removeValue(forKey: TopicFollower.possiblyPersistedHeader)
                if headers != expected.headers { problems.append("\(expected.value): headers \(headers), sent \(expected.headers)") }
                if let partition = expected.partition, record.partition != partition { problems.append("\(expected.value): partition \(record.partition), sent \(partition)") }
                // One second of slack for clocks read a little apart.
                if let timestamp = record.timestamp {
                    if timestamp < sentAfter - 1000 || timestamp > answeredBefore + 1000 {
                        problems.append("\(expected.value): timestamp \(timestamp), stamped between \(sentAfter) and \(answeredBefore)")
                    }
                } else {
                    problems.append("\(expected.value): no timestamp")
                }
            }
        }
        return problems.map { "record fidelity: \($0)" }
    }
}
