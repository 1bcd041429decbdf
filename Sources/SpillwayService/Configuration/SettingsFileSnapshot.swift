import Configuration
import Foundation

/// The JSON configuration file as swift-configuration reads it: a `JSONSnapshot`,
/// with the keys counted as it parses (see `KeyCensus`) and a key written twice
/// refused. Used as `FileProvider<SettingsFileSnapshot>`.
struct SettingsFileSnapshot: FileConfigSnapshot {
    struct ParsingOptions: FileParsingOptions {
        /// The file, for messages.
        var path: String
        var census: KeyCensus?

        static var `default`: ParsingOptions { ParsingOptions(path: "", census: nil) }
    }

    private let json: JSONSnapshot
    let providerName: String

    init(data: RawSpan, providerName: String, parsingOptions: ParsingOptions) throws {
        let bytes = data.withUnsafeBytes { Array($0) }
        let path = parsingOptions.path
        self.providerName = providerName
        do {
            json = try JSONSnapshot(
                data: data, providerName: providerName,
                parsingOptions: JSONSnapshot.ParsingOptions(secretsSpecifier: parsingOptions.census?.fileSpecifier ?? .none)
            )
        } catch {
            if let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String {
                throw ServiceSettingsError(file: path, "not valid JSON: \(detail)")
            }
            if bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) != UInt8(ascii: "{") {
                throw ServiceSettingsError(file: path, "must hold a JSON object")
            }
            throw ServiceSettingsError(file: path, "\(error)")
        }
        if let duplicate = DuplicateKeyScanner.firstDuplicate(in: bytes) {
            throw ServiceSettingsError(
                key: duplicate.key,
                "appears more than once in \(path): on line \(duplicate.firstLine) and again on line \(duplicate.secondLine)"
            )
        }
    }

    func value(forKey key: AbsoluteConfigKey, type: ConfigType) throws -> LookupResult {
        try json.value(forKey: key, type: type)
    }

    var description: String { json.description }
    var debugDescription: String { json.debugDescription }
}
