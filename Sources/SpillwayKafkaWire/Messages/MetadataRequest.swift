/// Metadata (key 3), v1-v12: which topics the client wants leaders for. Spillway
/// ignores the authorized-operations flags (v8+) and answers by name; topics
/// asked by id only (v10+, null name) are kept out of `topics` and counted in
/// `topicIDsWithoutName` so the listener can answer UNKNOWN_TOPIC_ID-like errors.
package struct MetadataRequest: Sendable, Equatable {
    /// The topics asked for by name; nil asks for all topics.
    package var topics: [String]?
    package var allowAutoTopicCreation: Bool
    /// Topics asked for by id without a name (v10+); Spillway has no topic ids.
    package var topicIDsWithoutName: [[UInt8]]

    package init(topics: [String]?, allowAutoTopicCreation: Bool = true, topicIDsWithoutName: [[UInt8]] = []) {
        self.topics = topics
        self.allowAutoTopicCreation = allowAutoTopicCreation
        self.topicIDsWithoutName = topicIDsWithoutName
    }

    static func decode(_ reader: inout KafkaWireReader, version: Int16) throws(KafkaWireError) -> MetadataRequest {
        var idsWithoutName: [[UInt8]] = []
        let entries = try reader.array("Metadata topics") { (reader: inout KafkaWireReader) throws(KafkaWireError) -> String? in
            var id: [UInt8]?
            if version >= 10 { id = try reader.uuid("Metadata topic_id") }
            let name = version >= 10 ? try reader.nullableString("Metadata topic name") : try reader.string("Metadata topic name")
            try reader.skipTaggedFields()
            if name == nil, let id { idsWithoutName.append(id) }
            return name
        }
        let allowAutoTopicCreation = version >= 4 ? try reader.bool("Metadata allow_auto_topic_creation") : true
        if (8...10).contains(version) { _ = try reader.bool("Metadata include_cluster_authorized_operations") }
        if version >= 8 { _ = try reader.bool("Metadata include_topic_authorized_operations") }
        try reader.skipTaggedFields()
        return MetadataRequest(
            topics: entries.map { $0.compactMap { $0 } }, allowAutoTopicCreation: allowAutoTopicCreation, topicIDsWithoutName: idsWithoutName
        )
    }
}
