import Foundation
import NIOCore
import SpillwayKafkaWire

/// The kafka-wire fuzzer's seeds: valid record sets in every codec, request
/// frames of every API around them, and frames captured from real clients.
enum KafkaWireSeeds {
    static func recordSets() -> [[UInt8]] {
        let shapes: [[KafkaRecord]] = [
            [
                KafkaRecord(timestamp: 1_700_000_000_000, offsetDelta: 0, key: nil, value: nil),
                KafkaRecord(timestamp: 1_700_000_000_500, offsetDelta: 1, key: [], value: Array("value".utf8), headers: [
                    KafkaRecordHeader(key: "h", value: nil), KafkaRecordHeader(key: "é", value: [0, 0xFF]),
                ]),
                KafkaRecord(timestamp: 1_699_999_999_000, offsetDelta: 2, key: Array("key".utf8), value: [UInt8](repeating: 0x41, count: 3000)),
            ],
            (0..<40).map { KafkaRecord(timestamp: Int64($0), offsetDelta: Int32($0), key: [UInt8($0)], value: [UInt8($0), 1, 2]) },
            [KafkaRecord(timestamp: -1, offsetDelta: 0, key: nil, value: [0x7B, 0x7D], headers: [KafkaRecordHeader(key: "", value: [])])],
        ]
        var sets: [[UInt8]] = []
        for compression in KafkaCompression.allCases {
            for records in shapes {
                sets.append(bytes(RecordBatchEncoder.encode(records: records, compression: compression, producerID: 5, producerEpoch: 0, baseSequence: 0)))
            }
            var two = RecordBatchEncoder.encode(records: shapes[2], compression: compression, isTransactional: true)
            var second = RecordBatchEncoder.encode(records: shapes[0], compression: compression, baseOffset: 3, isControl: true)
            two.writeBuffer(&second)
            sets.append(bytes(two))
        }
        sets.append(bytes(RecordBatchEncoder.encode(records: shapes[0], compression: .snappy, snappyXerialFraming: true)))
        // Past the fuzzer's 1 MiB bound once decompressed.
        let bomb = [KafkaRecord(timestamp: 0, offsetDelta: 0, key: nil, value: [UInt8](repeating: 0, count: 2 << 20))]
        for compression in [KafkaCompression.gzip, .zstd, .lz4] {
            sets.append(bytes(RecordBatchEncoder.encode(records: bomb, compression: compression)))
        }
        return sets
    }

    static func frames(recordSets: [[UInt8]]) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        frames.append(header(18, 0, flexible: false))
        frames.append(header(18, 3, flexible: true) + compactString("spillway-fuzz") + compactString("1.0") + [0])
        frames.append(header(3, 1, flexible: false) + int32(-1))
        frames.append(header(3, 4, flexible: false) + int32(1) + string("fuzz-a") + [1])
        frames.append(header(3, 9, flexible: true) + [2] + compactString("fuzz-a") + [0, 1, 0, 0, 0])
        frames.append(header(3, 12, flexible: true) + [3] + [UInt8](repeating: 0, count: 16) + compactString("fuzz-a") + [0]
            + [UInt8](repeating: 7, count: 16) + [0, 0] + [1, 0, 0])
        frames.append(header(22, 0, flexible: false) + string(nil) + int32(60_000))
        frames.append(header(22, 4, flexible: true) + [0] + int32(60_000) + int64(-1) + int16(-1) + [0])
        for (index, set) in recordSets.enumerated() where set.count < 64 * 1024 {
            let version: Int16 = [3, 7, 9][index % 3]
            let flexible = version >= 9
            var frame = header(0, version, flexible: flexible)
            frame += flexible ? compactString(nil) : string(nil)
            frame += int16(-1) + int32(30_000)
            frame += flexible ? [2] + compactString("fuzz-a") + [2] : int32(1) + string("fuzz-a") + int32(1)
            frame += int32(Int32(index % 3))
            frame += flexible ? uvarint(set.count + 1) : int32(Int32(set.count))
            frame += set
            if flexible { frame += [0, 0, 0] }
            frames.append(frame)
        }
        return frames
    }

    /// Frames captured from real clients (`*.bin`, size prefix included), without their size.
    static func capturedFrames(in folder: String) throws -> [[UInt8]] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return try names.filter { $0.hasSuffix(".bin") }.sorted().map {
            Array(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\($0)")).dropFirst(4))
        }
    }

    /// Rewrites each batch's CRC-32C (and stops at the first batch whose length
    /// does not fit), so mutations behind the checksum reach the record decoder.
    static func resign(_ set: inout [UInt8]) {
        var start = 0
        while set.count - start >= 61 {
            let length = Int(Int32(bitPattern: UInt32(set[start + 8]) << 24 | UInt32(set[start + 9]) << 16 | UInt32(set[start + 10]) << 8 | UInt32(set[start + 11])))
            guard length >= 49, length <= set.count - start - 12 else { return }
            let crc = set.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + 21)..<(start + 12 + length)])) }
            for index in 0..<4 { set[start + 17 + index] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(index))) }
            start += 12 + length
        }
    }

    private static func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }
    private static func int16(_ value: Int16) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    private static func int32(_ value: Int32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    private static func int64(_ value: Int64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

    private static func uvarint(_ value: Int) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        return bytes + [UInt8(value)]
    }

    private static func string(_ value: String?) -> [UInt8] {
        guard let value else { return int16(-1) }
        return int16(Int16(value.utf8.count)) + Array(value.utf8)
    }

    private static func compactString(_ value: String?) -> [UInt8] {
        guard let value else { return [0] }
        return uvarint(value.utf8.count + 1) + Array(value.utf8)
    }

    /// Request header v1, or v2 (empty tagged fields) when flexible.
    private static func header(_ key: Int16, _ version: Int16, flexible: Bool) -> [UInt8] {
        int16(key) + int16(version) + int32(7) + string("spillway-fuzz") + (flexible ? [0] : [])
    }
}
