/// The codec of a record batch's records (attributes bits 0-2).
package enum KafkaCompression: Int8, Sendable, CaseIterable {
    case none = 0
    case gzip = 1
    case snappy = 2
    case lz4 = 3
    case zstd = 4
}
