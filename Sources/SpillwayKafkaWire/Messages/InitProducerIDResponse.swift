import NIOCore

/// InitProducerId response: the id and epoch an idempotent producer stamps on its batches.
package struct InitProducerIDResponse: Sendable, Equatable {
    package var throttleTimeMs: Int32
    package var errorCode: KafkaErrorCode
    package var producerID: Int64
    package var producerEpoch: Int16

    package init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode, producerID: Int64, producerEpoch: Int16) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.producerID = producerID
        self.producerEpoch = producerEpoch
    }

    func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInteger(throttleTimeMs)
        buffer.writeInteger(errorCode.rawValue)
        buffer.writeInteger(producerID)
        buffer.writeInteger(producerEpoch)
        buffer.writeEmptyTaggedFields(flexible: version >= 2)
    }
}
