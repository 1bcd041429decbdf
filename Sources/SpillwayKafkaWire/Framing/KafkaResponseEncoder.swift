import NIOCore

/// Writes response frames: size prefix, response header, body in the version
/// of the request it answers.
package enum KafkaResponseEncoder {
    /// Writes the whole frame (size prefix included) answering `header`, in the request's version.
    ///
    /// An ApiVersions request above our highest version gets a v0 body (KIP-511:
    /// the client cannot know which newer layout we would use). Every ApiVersions
    /// response uses response header v0, so a client can read it before it knows
    /// our versions; other flexible responses use header v1 (with tagged fields).
    package static func encode(_ response: KafkaResponse, answering header: KafkaRequestHeader, into buffer: inout ByteBuffer) {
        let sizeIndex = buffer.writerIndex
        buffer.writeInteger(Int32(0))
        buffer.writeInteger(header.correlationID)
        let version = header.apiVersion
        switch response {
        case .apiVersions(let body):
            let range = KafkaSupportedAPIs.range(of: .apiVersions)
            body.encode(into: &buffer, version: range.contains(version) ? version : 0)
        case .metadata(let body):
            buffer.writeEmptyTaggedFields(flexible: version >= KafkaAPIKey.metadata.firstFlexibleVersion)
            body.encode(into: &buffer, version: version)
        case .produce(let body):
            buffer.writeEmptyTaggedFields(flexible: version >= KafkaAPIKey.produce.firstFlexibleVersion)
            body.encode(into: &buffer, version: version)
        case .initProducerID(let body):
            buffer.writeEmptyTaggedFields(flexible: version >= KafkaAPIKey.initProducerID.firstFlexibleVersion)
            body.encode(into: &buffer, version: version)
        }
        buffer.setInteger(Int32(buffer.writerIndex - sizeIndex - 4), at: sizeIndex)
    }
}
