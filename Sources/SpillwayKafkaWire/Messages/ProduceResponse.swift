import NIOCore

/// Produce response, v3-v9: per partition, the error or the base offset the
/// records got (Spillway's own offsets: it is the "broker" the client sees).
package struct ProduceResponse: Sendable {
    package struct Partition: Sendable {
        package var index: Int32
        package var errorCode: KafkaErrorCode
        package var baseOffset: Int64
        package var logAppendTimeMs: Int64
        package var logStartOffset: Int64
        /// Records that made the batch fail (v8+), by index in the batch.
        package var recordErrors: [(batchIndex: Int32, message: String?)]
        package var errorMessage: String?

        package init(
            index: Int32, errorCode: KafkaErrorCode, baseOffset: Int64, logAppendTimeMs: Int64 = -1, logStartOffset: Int64 = -1,
            recordErrors: [(batchIndex: Int32, message: String?)] = [], errorMessage: String? = nil
        ) {
            self.index = index
            self.errorCode = errorCode
            self.baseOffset = baseOffset
            self.logAppendTimeMs = logAppendTimeMs
            self.logStartOffset = logStartOffset
            self.recordErrors = recordErrors
            self.errorMessage = errorMessage
        }
    }

    package struct Topic: Sendable {
        package var name: String
        package var partitions: [Partition]

        package init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    package var topics: [Topic]
    package var throttleTimeMs: Int32

    package init(topics: [Topic], throttleTimeMs: Int32 = 0) {
        self.topics = topics
        self.throttleTimeMs = throttleTimeMs
    }

    func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 9
        buffer.writeKafkaArrayCount(topics.count, flexible: flexible)
        for topic in topics {
            buffer.writeKafkaString(topic.name, flexible: flexible)
            buffer.writeKafkaArrayCount(topic.partitions.count, flexible: flexible)
            for partition in topic.partitions {
                buffer.writeInteger(partition.index)
                buffer.writeInteger(partition.errorCode.rawValue)
                buffer.writeInteger(partition.baseOffset)
                if version >= 2 { buffer.writeInteger(partition.logAppendTimeMs) }
                if version >= 5 { buffer.writeInteger(partition.logStartOffset) }
                if version >= 8 {
                    buffer.writeKafkaArrayCount(partition.recordErrors.count, flexible: flexible)
                    for error in partition.recordErrors {
                        buffer.writeInteger(error.batchIndex)
                        buffer.writeKafkaString(error.message, flexible: flexible)
                        buffer.writeEmptyTaggedFields(flexible: flexible)
                    }
                    buffer.writeKafkaString(partition.errorMessage, flexible: flexible)
                }
                buffer.writeEmptyTaggedFields(flexible: flexible)
            }
            buffer.writeEmptyTaggedFields(flexible: flexible)
        }
        if version >= 1 { buffer.writeInteger(throttleTimeMs) }
        buffer.writeEmptyTaggedFields(flexible: flexible)
    }
}
