import NIOCore

/// ApiVersions response: the ranges of `KafkaSupportedAPIs.advertised`. Encoded in the
/// request's version, or in v0 when the request's version is above ours (KIP-511).
package struct ApiVersionsResponse: Sendable, Equatable {
    package var errorCode: KafkaErrorCode
    package var throttleTimeMs: Int32

    package init(errorCode: KafkaErrorCode = .none, throttleTimeMs: Int32 = 0) {
        self.errorCode = errorCode
        self.throttleTimeMs = throttleTimeMs
    }

    func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 3
        buffer.writeInteger(errorCode.rawValue)
        let advertised = KafkaSupportedAPIs.advertised
        buffer.writeKafkaArrayCount(advertised.count, flexible: flexible)
        for api in advertised {
            buffer.writeInteger(api.key)
            buffer.writeInteger(api.min)
            buffer.writeInteger(api.max)
            buffer.writeEmptyTaggedFields(flexible: flexible)
        }
        if version >= 1 { buffer.writeInteger(throttleTimeMs) }
        buffer.writeEmptyTaggedFields(flexible: flexible)
    }
}
