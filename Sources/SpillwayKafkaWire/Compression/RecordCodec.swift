/// One entry point per direction for the four codecs, so the batch decoder and
/// encoder do not know which C library does what.
package enum RecordCodec {
    static func decompress(_ input: UnsafeRawBufferPointer, _ codec: KafkaCompression, maxBytes: Int) throws(RecordBatchError) -> [UInt8] {
        switch codec {
        case .none: Array(input)
        case .gzip: try GzipCodec.decompress(input, maxBytes: maxBytes)
        case .snappy: try SnappyCodec.decompress(input, maxBytes: maxBytes)
        case .lz4: try LZ4FrameCodec.decompress(input, maxBytes: maxBytes)
        case .zstd: try ZstdCodec.decompress(input, maxBytes: maxBytes)
        }
    }

    /// Compresses as Kafka's clients do; snappy raw (librdkafka) unless
    /// `snappyXerialFraming` asks for the Java client's framing.
    package static func compress(_ input: [UInt8], _ codec: KafkaCompression, snappyXerialFraming: Bool = false) -> [UInt8] {
        switch codec {
        case .none: input
        case .gzip: GzipCodec.compress(input)
        case .snappy: SnappyCodec.compress(input, xerialFraming: snappyXerialFraming)
        case .lz4: LZ4FrameCodec.compress(input)
        case .zstd: ZstdCodec.compress(input)
        }
    }

    /// Decompression alone, for the benchmark's baseline.
    package static func decompressForBenchmark(
        _ input: UnsafeRawBufferPointer, _ codec: KafkaCompression, maxBytes: Int
    ) throws(RecordBatchError) -> [UInt8] {
        try decompress(input, codec, maxBytes: maxBytes)
    }
}
