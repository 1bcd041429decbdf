/// Bounds on what one batch may expand to. A few kilobytes of zstd or gzip can
/// claim gigabytes; decompression stops at `maxDecompressedBytes` instead of
/// allocating them, and a record count above `maxRecordsPerBatch` is refused
/// before any record is read.
package struct RecordBatchLimits: Sendable, Equatable {
    package var maxDecompressedBytes: Int
    package var maxRecordsPerBatch: Int

    package init(maxDecompressedBytes: Int, maxRecordsPerBatch: Int) {
        self.maxDecompressedBytes = maxDecompressedBytes
        self.maxRecordsPerBatch = maxRecordsPerBatch
    }

    /// Kafka's default message.max.bytes (1 MiB) times a generous compression
    /// ratio, and as many records as that many 1-byte records could be.
    package static let `default` = RecordBatchLimits(maxDecompressedBytes: 64 << 20, maxRecordsPerBatch: 1 << 20)
}
