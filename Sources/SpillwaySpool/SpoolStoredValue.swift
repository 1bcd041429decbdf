/// A record's value as one row of the spool keeps it: as sent, or as one zstd
/// frame (with the dictionary it needs), so the byte bound charges what the
/// disk holds and a reader knows how to give the value back.
struct SpoolStoredValue {
    /// The `value_codec` column.
    enum Codec: Int64 {
        /// The bytes as the producer sent them.
        case asSent = 0
        /// One zstd frame, with `dictionaryID`'s dictionary or alone.
        case zstd = 1
    }

    /// What goes into the `value` column.
    var bytes: [UInt8]
    var codec: Codec
    /// The `value_dictionaries` row the frame needs; `nil` for a frame compressed alone.
    var dictionaryID: Int64?
    /// The value's size as sent (`value_size`); `nil` when stored as sent.
    var originalSize: Int?

    /// A value stored as sent (a NULL value is an empty blob: migration 5).
    static func uncompressed(_ value: [UInt8]?) -> SpoolStoredValue {
        SpoolStoredValue(bytes: value ?? [], codec: .asSent, dictionaryID: nil, originalSize: nil)
    }
}
