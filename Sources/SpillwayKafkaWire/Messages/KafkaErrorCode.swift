/// A Kafka protocol error code (Errors.java). A struct, not an enum, so a code
/// Spillway does not name still round-trips; the names are the ones the
/// listener answers with.
package struct KafkaErrorCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    package var rawValue: Int16

    package init(rawValue: Int16) { self.rawValue = rawValue }

    package static let none = KafkaErrorCode(rawValue: 0)
    package static let corruptMessage = KafkaErrorCode(rawValue: 2)
    package static let unknownTopicOrPartition = KafkaErrorCode(rawValue: 3)
    package static let invalidFetchSize = KafkaErrorCode(rawValue: 4)
    package static let leaderNotAvailable = KafkaErrorCode(rawValue: 5)
    package static let notLeaderOrFollower = KafkaErrorCode(rawValue: 6)
    package static let requestTimedOut = KafkaErrorCode(rawValue: 7)
    package static let messageTooLarge = KafkaErrorCode(rawValue: 10)
    package static let invalidTopicException = KafkaErrorCode(rawValue: 17)
    package static let recordListTooLarge = KafkaErrorCode(rawValue: 18)
    package static let notEnoughReplicas = KafkaErrorCode(rawValue: 19)
    package static let notEnoughReplicasAfterAppend = KafkaErrorCode(rawValue: 20)
    package static let invalidRequiredAcks = KafkaErrorCode(rawValue: 21)
    package static let topicAuthorizationFailed = KafkaErrorCode(rawValue: 29)
    package static let clusterAuthorizationFailed = KafkaErrorCode(rawValue: 31)
    package static let invalidTimestamp = KafkaErrorCode(rawValue: 32)
    package static let unsupportedVersion = KafkaErrorCode(rawValue: 35)
    package static let invalidRequest = KafkaErrorCode(rawValue: 42)
    package static let unsupportedForMessageFormat = KafkaErrorCode(rawValue: 43)
    package static let outOfOrderSequenceNumber = KafkaErrorCode(rawValue: 45)
    package static let duplicateSequenceNumber = KafkaErrorCode(rawValue: 46)
    package static let invalidProducerEpoch = KafkaErrorCode(rawValue: 47)
    package static let invalidTxnState = KafkaErrorCode(rawValue: 48)
    package static let transactionalIDAuthorizationFailed = KafkaErrorCode(rawValue: 53)
    package static let kafkaStorageError = KafkaErrorCode(rawValue: 56)
    package static let unknownProducerID = KafkaErrorCode(rawValue: 59)
    package static let unsupportedCompressionType = KafkaErrorCode(rawValue: 76)
    package static let invalidRecord = KafkaErrorCode(rawValue: 87)

    package var description: String { "Kafka error \(rawValue)" }
}
