/// The growing output of a streaming decompressor, never larger than the bound
/// plus one byte: reaching that byte proves the input expands past the bound,
/// so decompression stops there instead of allocating what a bomb claims.
/// Raw memory, grown by copying and never zero-filled: the codecs write every
/// byte before it is read, and only the written prefix becomes the array.
struct DecompressionOutput: ~Copyable {
    private var storage: UnsafeMutableRawBufferPointer
    private(set) var produced = 0
    let codec: KafkaCompression
    let maxBytes: Int

    init(codec: KafkaCompression, maxBytes: Int, expected: Int) {
        self.codec = codec
        self.maxBytes = maxBytes
        storage = .allocate(byteCount: min(maxBytes + 1, max(expected, 256)), alignment: 1)
    }

    deinit {
        storage.deallocate()
    }

    /// Calls `body` with the free space (growing it first if full); `body` returns
    /// its result and how many bytes it wrote there.
    mutating func fill<Result>(_ body: (UnsafeMutableRawBufferPointer) -> (Result, written: Int)) throws(RecordBatchError) -> Result {
        if produced == storage.count {
            guard storage.count <= maxBytes else { throw overBound() }
            let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: min(maxBytes + 1, storage.count * 2), alignment: 1)
            grown.copyMemory(from: UnsafeRawBufferPointer(storage))
            storage.deallocate()
            storage = grown
        }
        let (result, written) = body(UnsafeMutableRawBufferPointer(rebasing: storage[produced...]))
        produced += written
        return result
    }

    /// Whether the last `fill` used all the space it was given.
    var isFull: Bool { produced == storage.count }

    /// The output, or an error if it went past the bound.
    consuming func finish() throws(RecordBatchError) -> [UInt8] {
        guard produced <= maxBytes else { throw overBound() }
        let written = UnsafeRawBufferPointer(rebasing: storage[..<produced])
        return [UInt8](unsafeUninitializedCapacity: written.count) { buffer, count in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: written)
            count = written.count
        }
    }

    func overBound() -> RecordBatchError {
        Self.overBound(codec, maxBytes: maxBytes)
    }

    static func overBound(_ codec: KafkaCompression, maxBytes: Int) -> RecordBatchError {
        .tooLarge("\(codec) records expand past the limit of \(maxBytes) bytes (RecordBatchLimits.maxDecompressedBytes): refused as a possible decompression bomb")
    }
}
