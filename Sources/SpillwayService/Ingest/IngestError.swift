import HTTPTypes

/// A request Spillway refuses, with the status and the message the client gets.
package struct IngestError: Error, Sendable, Equatable, CustomStringConvertible {
    package var status: HTTPResponse.Status
    package var message: String
    /// Confluent REST Proxy's numeric error code, for its clients.
    package var restProxyCode: Int

    package var description: String { message }

    static func malformed(_ message: String) -> IngestError {
        IngestError(status: .badRequest, message: message, restProxyCode: 40001)
    }

    static func invalidTopic(_ message: String) -> IngestError {
        IngestError(status: .unprocessableContent, message: message, restProxyCode: 42201)
    }

    static func forbiddenTopic(_ topic: String) -> IngestError {
        IngestError(status: .forbidden, message: "topic \"\(topic)\" is not in this Spillway's allowlist", restProxyCode: 40301)
    }

    static func tooLarge(limit: Int) -> IngestError {
        IngestError(status: .contentTooLarge, message: "request body is over the limit of \(limit) bytes", restProxyCode: 41301)
    }

    static func unsupportedMediaType(_ type: String?, supported: [String]) -> IngestError {
        IngestError(
            status: .unsupportedMediaType,
            message: "content type \(type.map { "\"\($0)\"" } ?? "(none)") is not supported here; use \(supported.joined(separator: ", "))",
            restProxyCode: 41501
        )
    }
}
