/// A response body to encode, one case per supported API; the version comes
/// from the request header it answers.
package enum KafkaResponse: Sendable {
    case apiVersions(ApiVersionsResponse)
    case metadata(MetadataResponse)
    case produce(ProduceResponse)
    case initProducerID(InitProducerIDResponse)
}
