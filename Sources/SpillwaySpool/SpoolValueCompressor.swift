import CZstd

/// Compresses values on their way into the spool (`spool.compression = zstd`),
/// so a spool of a given size holds several times more of the small, repetitive
/// events it exists for. Small records barely compress alone (a 100-byte JSON
/// event has little to repeat within itself), so each topic gets a dictionary
/// trained from its first values and stored in the spool; until then, and for
/// topics past the dictionary bound, values are compressed alone. A value that
/// would not get smaller is stored as sent, so incompressible bytes cost nothing extra.
///
/// Owned by one `Spool` and used on its writer's thread only.
final class SpoolValueCompressor {
    /// The knobs, with the values the benchmark chose (Benchmarks/SpoolBenchmark).
    struct Tuning {
        /// zstd's level: the spool writer must keep up with a full live path.
        var level: Int32 = 3
        /// Values shorter than this are stored as sent: a frame's header outweighs the gain.
        var minimumValueBytes = 24
        /// A topic's dictionary is trained once its samples reach this many bytes...
        var sampleBytesToTrain = 64 * 1024
        /// ...or this many values, whichever comes first...
        var samplesToTrain = 2_000
        /// ...and never from fewer values than this (zstd's trainer needs variety).
        var minimumSamples = 64
        /// Bytes of one value taken as a sample: a large value would crowd out the others.
        var sampleBytesPerValue = 2 * 1024
        /// The largest dictionary trained.
        var dictionaryCapacity = 16 * 1024
        /// Topics with a dictionary, or sampling for one: each costs memory while the spool is open.
        var maxDictionaries = 64
        /// After this many values of a topic in a row did not get smaller...
        var missesBeforeBackoff = 16
        /// ...one value in this many is tried (the rest are stored as sent) until one does.
        var probeEvery = 64
    }

    private enum DictionaryState {
        /// Gathering values to train from.
        case sampling(bytes: [UInt8], sizes: [Int])
        /// A dictionary in the spool, digested on first use.
        case stored(id: Int64, bytes: [UInt8])
        case digested(id: Int64, dictionary: OpaquePointer)
        /// Compressed alone: training failed, the values do not compress, or no dictionary may be added.
        case alone
    }

    /// What the compressor knows of one topic.
    private struct Topic {
        var dictionary: DictionaryState
        /// Values in a row that did not get smaller (encrypted or already compressed
        /// payloads): past `missesBeforeBackoff`, one value in `probeEvery` is tried.
        var misses = 0
    }

    let tuning: Tuning
    private var topics: [String: Topic] = [:]
    /// Topics holding or gathering for a dictionary (bounded by `maxDictionaries`).
    private var dictionaryCount = 0
    /// Bytes of dictionaries the spool may still take (a share of its bound).
    private var dictionaryBytesLeft: Int
    private var context: OpaquePointer?
    private var output: [UInt8] = []

    /// - Parameters:
    ///   - existing: the spool's dictionaries (`value_dictionaries`), the newest per topic.
    ///   - dictionaryBudget: bytes of dictionaries the spool may hold in all.
    init(existing: [(id: Int64, topic: String, dictionary: [UInt8])], dictionaryBudget: Int, tuning: Tuning = Tuning()) {
        self.tuning = tuning
        var left = dictionaryBudget
        for entry in existing {
            topics[entry.topic] = Topic(dictionary: .stored(id: entry.id, bytes: entry.dictionary))
            left -= entry.dictionary.count
        }
        dictionaryCount = topics.count
        dictionaryBytesLeft = left
    }

    deinit {
        for case .digested(_, let dictionary) in topics.values.map(\.dictionary) { ZSTD_freeCDict(dictionary) }
        if let context { ZSTD_freeCCtx(context) }
    }

    /// How `value` is stored for `topic`. `storeDictionary` writes a newly trained
    /// dictionary to the spool and returns its id; when it throws, the topic's
    /// values are compressed alone from then on.
    func store(_ value: [UInt8]?, topic: String, storeDictionary: (String, [UInt8]) throws -> Int64) -> SpoolStoredValue {
        guard let value, value.count >= tuning.minimumValueBytes else { return .uncompressed(value) }
        // Moved out while it changes, so samples grow without a copy.
        var entry = topics.removeValue(forKey: topic) ?? newTopic()
        defer { topics[topic] = entry }
        // Sampled whatever happens next: small events that do not shrink alone are
        // what a dictionary is for.
        let dictionary = dictionary(for: &entry, topic: topic, sampling: value, storeDictionary: storeDictionary)
        if entry.misses >= tuning.missesBeforeBackoff, entry.misses % tuning.probeEvery != 0 {
            entry.misses += 1
            return .uncompressed(value)
        }
        let stored = compress(value, dictionary: dictionary)
        entry.misses = stored.codec == .zstd ? 0 : entry.misses + 1
        return stored
    }

    private func newTopic() -> Topic {
        guard dictionaryCount < tuning.maxDictionaries, dictionaryBytesLeft >= tuning.dictionaryCapacity else { return Topic(dictionary: .alone) }
        dictionaryCount += 1
        return Topic(dictionary: .sampling(bytes: [], sizes: []))
    }

    /// The topic's dictionary when it has one; otherwise takes `value` as a sample and trains once there are enough.
    private func dictionary(
        for entry: inout Topic, topic: String, sampling value: [UInt8], storeDictionary: (String, [UInt8]) throws -> Int64
    ) -> DigestedDictionary? {
        switch entry.dictionary {
        case .digested(let id, let digested):
            return (id, digested)
        case .stored(let id, let bytes):
            return digest(bytes, id: id, into: &entry)
        case .sampling(var bytes, var sizes):
            entry.dictionary = .alone  // the samples are uniquely referenced while they grow
            let sample = value.prefix(tuning.sampleBytesPerValue)
            bytes.append(contentsOf: sample)
            sizes.append(sample.count)
            guard bytes.count >= tuning.sampleBytesToTrain || sizes.count >= tuning.samplesToTrain, sizes.count >= tuning.minimumSamples else {
                entry.dictionary = .sampling(bytes: bytes, sizes: sizes)
                return nil
            }
            return train(topic: topic, samples: bytes, sizes: sizes, into: &entry, storeDictionary: storeDictionary)
        case .alone:
            return nil
        }
    }

    /// A dictionary's row id and its digested form.
    private typealias DigestedDictionary = (id: Int64, digested: OpaquePointer)

    private func compress(_ value: [UInt8], dictionary: DigestedDictionary?) -> SpoolStoredValue {
        guard let context = makeContext() else { return .uncompressed(value) }
        // Only a frame smaller than the value is kept, so that is all the room zstd gets
        // (it stops at the end of the room); the buffer is reused up to 64 KiB.
        let room = value.count - 1
        if output.count < room, room <= 64 * 1024 { output = [UInt8](repeating: 0, count: 64 * 1024) }
        var large = room > output.count ? [UInt8](repeating: 0, count: room) : []
        // A value that did not fit leaves the context mid-frame, where it refuses a
        // new dictionary (and would compress the next value without one): start clean.
        ZSTD_CCtx_reset(context, ZSTD_reset_session_only)
        guard ZSTD_isError(ZSTD_CCtx_refCDict(context, dictionary?.digested)) == 0 else { return .uncompressed(value) }
        func run(_ out: inout [UInt8]) -> Int {
            out.withUnsafeMutableBytes { out in
                value.withUnsafeBytes { ZSTD_compress2(context, out.baseAddress, room, $0.baseAddress, $0.count) }
            }
        }
        let written = large.isEmpty ? run(&output) : run(&large)
        // Not smaller (zstd ran out of room) or failed: stored as sent, never larger than the value.
        guard ZSTD_isError(written) == 0, written < value.count else { return .uncompressed(value) }
        let frame = large.isEmpty ? Array(output[..<written]) : Array(large[..<written])
        return SpoolStoredValue(bytes: frame, codec: .zstd, dictionaryID: dictionary?.id, originalSize: value.count)
    }

    /// The context, made on first use: a spool that never compresses holds none.
    private func makeContext() -> OpaquePointer? {
        if let context { return context }
        guard let made = ZSTD_createCCtx() else { return nil }
        ZSTD_CCtx_setParameter(made, ZSTD_c_compressionLevel, tuning.level)
        ZSTD_CCtx_setParameter(made, ZSTD_c_checksumFlag, 0)  // SQLite's pages and the exact size check guard the row
        ZSTD_CCtx_setParameter(made, ZSTD_c_contentSizeFlag, 1)
        ZSTD_CCtx_setParameter(made, ZSTD_c_dictIDFlag, 0)  // the row names its dictionary
        context = made
        return made
    }

    private func digest(_ bytes: [UInt8], id: Int64, into entry: inout Topic) -> DigestedDictionary? {
        guard let digested = bytes.withUnsafeBytes({ ZSTD_createCDict($0.baseAddress, $0.count, tuning.level) }) else {
            entry.dictionary = .alone
            return nil
        }
        entry.dictionary = .digested(id: id, dictionary: digested)
        return (id, digested)
    }

    private func train(
        topic: String, samples: [UInt8], sizes: [Int], into entry: inout Topic, storeDictionary: (String, [UInt8]) throws -> Int64
    ) -> DigestedDictionary? {
        var dictionary = [UInt8](repeating: 0, count: min(tuning.dictionaryCapacity, dictionaryBytesLeft))
        // ZDICT_trainFromBuffer's parameters, but a frequency table of 2^16 entries instead of
        // 2^20: the same dictionaries from 64 KiB of samples, 2 MB of peak memory instead of 11.
        var parameters = ZDICT_fastCover_params_t()
        parameters.d = 8
        parameters.f = 16
        parameters.steps = 4
        parameters.nbThreads = 1
        parameters.zParams.compressionLevel = tuning.level
        let trained = dictionary.withUnsafeMutableBytes { out in
            samples.withUnsafeBytes { input in
                ZDICT_optimizeTrainFromBuffer_fastCover(out.baseAddress, out.count, input.baseAddress, sizes, UInt32(sizes.count), &parameters)
            }
        }
        // Values too varied to share anything: alone from now on.
        guard ZDICT_isError(trained) == 0, trained > 0, let id = try? storeDictionary(topic, Array(dictionary[..<trained])) else {
            entry.dictionary = .alone
            dictionaryCount -= 1
            return nil
        }
        dictionary.removeSubrange(trained...)
        dictionaryBytesLeft -= dictionary.count
        entry.misses = 0  // values that did not shrink alone get another chance with it
        return digest(dictionary, id: id, into: &entry)
    }
}
