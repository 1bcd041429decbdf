/// The header every Kafka request starts with (v1, or v2 with tagged fields for
/// flexible versions). Raw key and version, because a request Spillway does not
/// support still needs its correlation id answered or logged.
package struct KafkaRequestHeader: Sendable, Equatable {
    package var apiKey: Int16
    package var apiVersion: Int16
    package var correlationID: Int32
    package var clientID: String?

    package init(apiKey: Int16, apiVersion: Int16, correlationID: Int32, clientID: String?) {
        self.apiKey = apiKey
        self.apiVersion = apiVersion
        self.correlationID = correlationID
        self.clientID = clientID
    }

    /// The supported API, if the key is one.
    package var api: KafkaAPIKey? { KafkaAPIKey(rawValue: apiKey) }

    /// Whether this request's body (and so its header) uses the flexible encoding.
    var isFlexible: Bool {
        guard let api else { return false }
        return apiVersion >= api.firstFlexibleVersion
    }
}
