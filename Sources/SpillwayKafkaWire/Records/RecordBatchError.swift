/// Why a partition's record set was refused, with the error code a Kafka broker
/// answers for the same fault so clients react as they would with Kafka
/// (CORRUPT_MESSAGE is retried, INVALID_RECORD and UNSUPPORTED_* are not).
package struct RecordBatchError: Error, Sendable, CustomStringConvertible {
    /// A short metric label: "crc", "magic", "truncated", "length", "varint",
    /// "record", "count", "offsets", "header_key", "decompression", "too_large",
    /// "compression_type", "control", "transactional".
    package var reason: String
    /// What a broker answers for it.
    package var errorCode: KafkaErrorCode
    package var description: String

    package init(reason: String, errorCode: KafkaErrorCode, description: String) {
        self.reason = reason
        self.errorCode = errorCode
        self.description = description
    }

    /// Batch framing a broker reports as a CorruptRecordException.
    static func corrupt(_ reason: String, _ description: String) -> RecordBatchError {
        RecordBatchError(reason: reason, errorCode: .corruptMessage, description: description)
    }

    /// Record structure a broker reports as an InvalidRecordException.
    static func invalid(_ reason: String, _ description: String) -> RecordBatchError {
        RecordBatchError(reason: reason, errorCode: .invalidRecord, description: description)
    }

    /// Past `RecordBatchLimits`: reported like a message over message.max.bytes.
    static func tooLarge(_ description: String) -> RecordBatchError {
        RecordBatchError(reason: "too_large", errorCode: .messageTooLarge, description: description)
    }

    static func decompression(_ codec: KafkaCompression, _ description: String) -> RecordBatchError {
        RecordBatchError(reason: "decompression", errorCode: .corruptMessage, description: "\(codec) decompression failed: \(description)")
    }
}
