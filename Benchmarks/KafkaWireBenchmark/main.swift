// Record batch decoding throughput per codec, against the codec's own C
// decompression of the same bytes in the same run (the floor no decoder can
// beat), and CRC-32C throughput. Prints MB/s of uncompressed records and the
// share of the time the codec itself takes.
//
//   swift run -c release kafka-wire-benchmark [--quick]
//
// The batch is what a busy producer sends: 1000 records of a 16-byte key, a
// 200-byte JSON-like value and two headers, in one batch per codec.
import Foundation
import NIOCore
import SpillwayKafkaWire

let quick = CommandLine.arguments.contains("--quick")
let rounds = quick ? 50 : 400

let records: [KafkaRecord] = (0..<1000).map { index in
    let value = Array(#"{"order":\#(index),"customer":"c-\#(index % 97)","items":[{"sku":"A-\#(index % 13)","qty":\#(index % 5 + 1)}],"note":"#.utf8)
        + [UInt8](repeating: UInt8(ascii: "x"), count: 120)
    return KafkaRecord(
        timestamp: 1_764_000_000_000 + Int64(index), offsetDelta: Int32(index),
        key: Array(String(format: "key-%012d", index).utf8), value: Array(value.prefix(200)),
        headers: [KafkaRecordHeader(key: "trace", value: Array("abcdef0123456789".utf8)), KafkaRecordHeader(key: "source", value: nil)]
    )
}
let plainBytes = RecordBatchEncoder.encode(records: records, compression: .none).readableBytes - 61
let limits = RecordBatchLimits.default

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

print("kafka-wire-benchmark: 1000 records, \(plainBytes) bytes uncompressed, \(rounds) rounds per codec")
print("codec    compressed  decode MB/s  records/s     of which the codec")
for compression in KafkaCompression.allCases {
    let batch = RecordBatchEncoder.encode(records: records, compression: compression)
    var decoded = 0
    let total = try seconds {
        for _ in 0..<rounds { decoded += try RecordBatchDecoder.decode(batch, limits: limits)[0].records.count }
    }
    precondition(decoded == rounds * records.count)
    let codecOnly = try seconds {
        for _ in 0..<rounds {
            _ = try batch.withUnsafeReadableBytes { bytes in
                try RecordCodec.decompressForBenchmark(UnsafeRawBufferPointer(rebasing: bytes[61...]), compression, maxBytes: limits.maxDecompressedBytes)
            }
        }
    }
    let megabytes = Double(plainBytes * rounds) / 1e6
    print(
        String(describing: compression).padding(toLength: 9, withPad: " ", startingAt: 0)
            + String(batch.readableBytes).padding(toLength: 12, withPad: " ", startingAt: 0)
            + String(format: "%-13.0f%-14.0f%.0f%%", megabytes / total, Double(decoded) / total, 100 * codecOnly / total)
    )
}

let crcInput = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
var crc: UInt32 = 0
let crcTime = seconds { for _ in 0..<(quick ? 20 : 200) { crc = crcInput.withUnsafeBytes { CRC32C.checksum($0, continuing: crc) } } }
print(String(format: "CRC-32C: %.0f MB/s (slicing-by-8; checksum %08x)", Double((quick ? 20 : 200) << 20) / 1e6 / crcTime, crc))
