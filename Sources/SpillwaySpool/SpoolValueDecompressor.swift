import CZstd

/// Gives back values the spool stored compressed, for replay, listings and
/// exports. Everything about a stored frame is checked: a frame that does not
/// decompress, a dictionary the spool does not hold, a size that does not match
/// or is over the record limit each become the row's problem (and the row is
/// quarantined), never a crash or an allocation the row dictates.
///
/// Owned by one `Spool`; dictionaries are read from its file on first use.
final class SpoolValueDecompressor {
    /// Reads a dictionary by id: `nil` when the spool holds none with that id.
    private let loadDictionary: (Int64) throws -> [UInt8]?
    private var context: OpaquePointer?
    /// Digested dictionaries by id; `nil` for an id the spool does not hold.
    private var dictionaries: [Int64: OpaquePointer?] = [:]
    /// Dictionaries kept digested at most (a hand-edited file may name many).
    static let maxCachedDictionaries = 256

    init(loadDictionary: @escaping (Int64) throws -> [UInt8]?) {
        self.loadDictionary = loadDictionary
    }

    deinit {
        for case let dictionary? in dictionaries.values { ZSTD_freeDDict(dictionary) }
        if let context { ZSTD_freeDCtx(context) }
    }

    /// The value a zstd frame holds, which must be exactly `size` bytes; or what is wrong with it.
    func decompress(_ frame: UnsafeRawBufferPointer, dictionaryID: Int64?, size: Int) -> Result<[UInt8], Failure> {
        let declared = ZSTD_getFrameContentSize(frame.baseAddress, frame.count)
        if declared == ZSTD_CONTENTSIZE_ERROR { return .failure(.value("is not a zstd frame (\(frame.count) bytes)")) }
        if declared != ZSTD_CONTENTSIZE_UNKNOWN, declared != UInt64(size) {
            return .failure(.value("is a zstd frame of \(declared) bytes, but value_size says \(size)"))
        }
        var digested: OpaquePointer?
        if let dictionaryID {
            guard let found = dictionary(dictionaryID) else {
                return .failure(.dictionary("is \(dictionaryID), a dictionary the spool does not hold"))
            }
            digested = found
        }
        if context == nil { context = ZSTD_createDCtx() }
        guard let context else { return .failure(.value("could not be read: zstd could not allocate its context")) }
        var value = [UInt8](repeating: 0, count: size)
        let written = value.withUnsafeMutableBytes { out in
            ZSTD_decompress_usingDDict(context, out.baseAddress, out.count, frame.baseAddress, frame.count, digested)
        }
        if ZSTD_isError(written) != 0 {
            return .failure(.value("is a zstd frame that does not decompress: \(String(cString: ZSTD_getErrorName(written)))"))
        }
        guard written == size else {
            return .failure(.value("decompresses to \(written) bytes, but value_size says \(size)"))
        }
        return .success(value)
    }

    /// What is wrong with a stored frame, by the column at fault.
    enum Failure: Error {
        case value(String)
        case dictionary(String)
    }

    private func dictionary(_ id: Int64) -> OpaquePointer? {
        if let cached = dictionaries[id] { return cached }
        if dictionaries.count >= Self.maxCachedDictionaries {
            for case let dictionary? in dictionaries.values { ZSTD_freeDDict(dictionary) }
            dictionaries.removeAll()
        }
        let stored: [UInt8]?
        do {
            stored = try loadDictionary(id)
        } catch {
            return nil  // not remembered: the next row asks again
        }
        let digested = stored.flatMap { bytes in bytes.withUnsafeBytes { ZSTD_createDDict($0.baseAddress, $0.count) } }
        dictionaries[id] = digested
        return digested
    }
}
