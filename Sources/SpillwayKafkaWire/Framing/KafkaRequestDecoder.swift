import NIOCore

/// Turns one frame's payload into a header and a typed request. Unsupported
/// keys and versions are errors of their own kind, with the header attached,
/// so the listener can answer ApiVersions (KIP-511) or log and close.
package enum KafkaRequestDecoder {
    /// Decodes one frame's payload (the bytes after the 4-byte size).
    package static func decode(_ frame: ByteBuffer) throws(KafkaWireError) -> (header: KafkaRequestHeader, request: KafkaRequest) {
        var reader = KafkaWireReader(frame)
        let header = KafkaRequestHeader(
            apiKey: try reader.int16("request header api_key"),
            apiVersion: try reader.int16("request header api_version"),
            correlationID: try reader.int32("request header correlation_id"),
            // The header's client id is a classic string even in flexible versions.
            clientID: try reader.nullableString("request header client_id")
        )
        do throws(KafkaWireError) {
            return (header, try decodeBody(&reader, header: header))
        } catch {
            var error = error
            error.header = header
            throw error
        }
    }

    private static func decodeBody(_ reader: inout KafkaWireReader, header: KafkaRequestHeader) throws(KafkaWireError) -> KafkaRequest {
        guard let api = header.api else {
            throw KafkaWireError(
                kind: .unsupportedAPI, header: header,
                description: "API key \(header.apiKey) (version \(header.apiVersion)) from client \(header.clientID ?? "(null)") is not supported: "
                    + "Spillway speaks only " + KafkaSupportedAPIs.all.map { "\($0.key.name) (\($0.key.rawValue))" }.joined(separator: ", ")
            )
        }
        let range = KafkaSupportedAPIs.range(of: api)
        guard range.contains(header.apiVersion) else {
            throw KafkaWireError(
                kind: .unsupportedVersion, header: header,
                description: "\(api.name) version \(header.apiVersion) from client \(header.clientID ?? "(null)") is not supported: "
                    + "Spillway accepts versions \(range.lowerBound)-\(range.upperBound); upgrade or downgrade the client"
            )
        }
        reader.flexible = header.isFlexible
        try reader.skipTaggedFields()
        let version = header.apiVersion
        let request: KafkaRequest
        switch api {
        case .apiVersions: request = .apiVersions(try ApiVersionsRequest.decode(&reader, version: version))
        case .metadata: request = .metadata(try MetadataRequest.decode(&reader, version: version))
        case .produce: request = .produce(try ProduceRequest.decode(&reader, version: version))
        case .initProducerID: request = .initProducerID(try InitProducerIDRequest.decode(&reader, version: version))
        }
        try reader.expectEnd("\(api.name) v\(version) request")
        return request
    }
}
