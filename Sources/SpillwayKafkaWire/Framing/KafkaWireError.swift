/// Why a frame could not be decoded. The listener logs `description` and closes
/// the connection, except for an ApiVersions request at an unsupported version,
/// which it answers (see `answerWithApiVersionsError`).
package struct KafkaWireError: Error, Sendable, CustomStringConvertible {
    package enum Kind: Sendable, Equatable {
        /// The bytes do not follow the protocol (truncated, lying lengths, bad UTF-8).
        case malformed
        /// An API key Spillway does not implement (Fetch, transactions, admin...).
        case unsupportedAPI
        /// A supported API at a version outside `KafkaSupportedAPIs.all`.
        case unsupportedVersion
    }

    package var kind: Kind
    /// The request header, when it decoded: its correlation id lets the listener answer or log.
    package var header: KafkaRequestHeader?
    package var description: String

    package init(kind: Kind, header: KafkaRequestHeader?, description: String) {
        self.kind = kind
        self.header = header
        self.description = description
    }

    /// True for an ApiVersions request at a version above ours: KIP-511 says the
    /// server answers with a v0 ApiVersions response, error UNSUPPORTED_VERSION and
    /// its ranges, and the client retries at the highest version we list.
    package var answerWithApiVersionsError: Bool {
        kind == .unsupportedVersion && header?.api == .apiVersions
    }

    static func malformed(_ message: String) -> KafkaWireError {
        KafkaWireError(kind: .malformed, header: nil, description: message)
    }
}
