/// A decoded request body, one case per supported API.
package enum KafkaRequest: Sendable {
    case apiVersions(ApiVersionsRequest)
    case metadata(MetadataRequest)
    case produce(ProduceRequest)
    case initProducerID(InitProducerIDRequest)
}
