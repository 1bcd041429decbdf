/// The growing output of a streaming decompressor, never larger than the bound
/// plus one byte: reaching that byte proves the input expands past the bound,
/// so decompression stops there instead of allocating what a bomb claims.
struct DecompressionOutput {
    private(set) var bytes: [UInt8]
    private(set) var produced = 0
    let codec: KafkaCompression
    let maxBytes: Int

    init(codec: KafkaCompression, maxBytes: Int, expected: Int) {
        self.codec = codec
        self.maxBytes = maxBytes
        bytes = [UInt8](repeating: 0, count: min(maxBytes + 1, max(expected, 256)))
    }

    /// Calls `body` with the free space (growing it first if full); `body` returns
    /// its result and how many bytes it wrote there.
    mutating func fill<Result>(_ body: (UnsafeMutableRawBufferPointer) -> (Result, written: Int)) throws(RecordBatchError) -> Result {
        if produced == bytes.count {
            guard bytes.count <= maxBytes else { throw overBound() }
            bytes.append(contentsOf: repeatElement(0, count: min(maxBytes + 1, bytes.count * 2) - bytes.count))
        }
        let produced = self.produced
        let (result, written) = bytes.withUnsafeMutableBytes { body(UnsafeMutableRawBufferPointer(rebasing: $0[produced...])) }
        self.produced += written
        return result
    }

    /// Whether the last `fill` used all the space it was given.
    var isFull: Bool { produced == bytes.count }

    /// The output, or an error if it went past the bound.
    consuming func finish() throws(RecordBatchError) -> [UInt8] {
        guard produced <= maxBytes else { throw overBound() }
        bytes.removeLast(bytes.count - produced)
        return bytes
    }

    func overBound() -> RecordBatchError {
        Self.overBound(codec, maxBytes: maxBytes)
    }

    static func overBound(_ codec: KafkaCompression, maxBytes: Int) -> RecordBatchError {
        .tooLarge("\(codec) records expand past the limit of \(maxBytes) bytes (RecordBatchLimits.maxDecompressedBytes): refused as a possible decompression bomb")
    }
}
