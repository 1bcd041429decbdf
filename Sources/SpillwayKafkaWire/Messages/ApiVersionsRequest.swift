/// ApiVersions (key 18), v0-v3: the first request of every connection. Only v3
/// has a body, the client's software name and version (KIP-511), worth logging.
package struct ApiVersionsRequest: Sendable, Equatable {
    package var clientSoftwareName: String?
    package var clientSoftwareVersion: String?

    package init(clientSoftwareName: String? = nil, clientSoftwareVersion: String? = nil) {
        self.clientSoftwareName = clientSoftwareName
        self.clientSoftwareVersion = clientSoftwareVersion
    }

    static func decode(_ reader: inout KafkaWireReader, version: Int16) throws(KafkaWireError) -> ApiVersionsRequest {
        guard version >= 3 else { return ApiVersionsRequest() }
        let name = try reader.string("ApiVersions client_software_name")
        let softwareVersion = try reader.string("ApiVersions client_software_version")
        try reader.skipTaggedFields()
        return ApiVersionsRequest(clientSoftwareName: name, clientSoftwareVersion: softwareVersion)
    }
}
