import NIOCore

/// Metadata response, v1-v12: Spillway presents itself as every partition's
/// leader so producers send everything to it.
package struct MetadataResponse: Sendable, Equatable {
    package struct Broker: Sendable, Equatable {
        package var nodeID: Int32
        package var host: String
        package var port: Int32
        package var rack: String?

        package init(nodeID: Int32, host: String, port: Int32, rack: String? = nil) {
            self.nodeID = nodeID
            self.host = host
            self.port = port
            self.rack = rack
        }
    }

    package struct PartitionMetadata: Sendable, Equatable {
        package var errorCode: KafkaErrorCode
        package var index: Int32
        package var leaderID: Int32
        package var leaderEpoch: Int32
        package var replicas: [Int32]
        package var isr: [Int32]
        package var offlineReplicas: [Int32]

        package init(
            errorCode: KafkaErrorCode = .none, index: Int32, leaderID: Int32, leaderEpoch: Int32 = -1,
            replicas: [Int32], isr: [Int32], offlineReplicas: [Int32] = []
        ) {
            self.errorCode = errorCode
            self.index = index
            self.leaderID = leaderID
            self.leaderEpoch = leaderEpoch
            self.replicas = replicas
            self.isr = isr
            self.offlineReplicas = offlineReplicas
        }
    }

    package struct TopicMetadata: Sendable, Equatable {
        package var errorCode: KafkaErrorCode
        package var name: String
        /// 16 bytes (v10+); all zeros is Kafka's "no id".
        package var topicID: [UInt8]
        package var isInternal: Bool
        package var partitions: [PartitionMetadata]

        package init(
            errorCode: KafkaErrorCode = .none, name: String, topicID: [UInt8] = [UInt8](repeating: 0, count: 16),
            isInternal: Bool = false, partitions: [PartitionMetadata]
        ) {
            self.errorCode = errorCode
            self.name = name
            self.topicID = topicID
            self.isInternal = isInternal
            self.partitions = partitions
        }
    }

    package var brokers: [Broker]
    package var clusterID: String?
    package var controllerID: Int32
    package var topics: [TopicMetadata]
    package var throttleTimeMs: Int32

    package init(brokers: [Broker], clusterID: String?, controllerID: Int32, topics: [TopicMetadata], throttleTimeMs: Int32 = 0) {
        self.brokers = brokers
        self.clusterID = clusterID
        self.controllerID = controllerID
        self.topics = topics
        self.throttleTimeMs = throttleTimeMs
    }

    /// "No operations known" in the authorized-operations bitfields (Kafka's default).
    private static let unknownAuthorizedOperations = Int32.min

    func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 9
        if version >= 3 { buffer.writeInteger(throttleTimeMs) }
        buffer.writeKafkaArrayCount(brokers.count, flexible: flexible)
        for broker in brokers {
            buffer.writeInteger(broker.nodeID)
            buffer.writeKafkaString(broker.host, flexible: flexible)
            buffer.writeInteger(broker.port)
            buffer.writeKafkaString(broker.rack, flexible: flexible)
            buffer.writeEmptyTaggedFields(flexible: flexible)
        }
        if version >= 2 { buffer.writeKafkaString(clusterID, flexible: flexible) }
        buffer.writeInteger(controllerID)
        buffer.writeKafkaArrayCount(topics.count, flexible: flexible)
        for topic in topics {
            buffer.writeInteger(topic.errorCode.rawValue)
            buffer.writeKafkaString(topic.name, flexible: flexible)
            if version >= 10 {
                precondition(topic.topicID.count == 16, "a topic id is 16 bytes, not \(topic.topicID.count)")
                buffer.writeBytes(topic.topicID)
            }
            buffer.writeKafkaBool(topic.isInternal)
            buffer.writeKafkaArrayCount(topic.partitions.count, flexible: flexible)
            for partition in topic.partitions {
                buffer.writeInteger(partition.errorCode.rawValue)
                buffer.writeInteger(partition.index)
                buffer.writeInteger(partition.leaderID)
                if version >= 7 { buffer.writeInteger(partition.leaderEpoch) }
                buffer.writeKafkaInt32Array(partition.replicas, flexible: flexible)
                buffer.writeKafkaInt32Array(partition.isr, flexible: flexible)
                if version >= 5 { buffer.writeKafkaInt32Array(partition.offlineReplicas, flexible: flexible) }
                buffer.writeEmptyTaggedFields(flexible: flexible)
            }
            if version >= 8 { buffer.writeInteger(Self.unknownAuthorizedOperations) }
            buffer.writeEmptyTaggedFields(flexible: flexible)
        }
        if (8...10).contains(version) { buffer.writeInteger(Self.unknownAuthorizedOperations) }
        buffer.writeEmptyTaggedFields(flexible: flexible)
    }
}
