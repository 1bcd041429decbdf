import Foundation
import NIOCore
import Testing

/// A captured frame from Fixtures/, with its JSON description when there is one.
struct FixtureFile: CustomTestStringConvertible, Sendable {
    let client: String
    let name: String
    let url: URL

    var testDescription: String { "\(client)/\(name)" }

    static let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    /// Every file of the fixtures ending in `suffix`, sorted.
    static func all(endingWith suffix: String, prefix: String = "") -> [FixtureFile] {
        let clients = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        var files: [FixtureFile] = []
        for client in clients.sorted() {
            let folder = root.appendingPathComponent(client)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for name in names.sorted() where name.hasSuffix(suffix) && name.hasPrefix(prefix) {
                files.append(FixtureFile(client: client, name: name, url: folder.appendingPathComponent(name)))
            }
        }
        return files
    }

    static func named(_ client: String, _ name: String) -> FixtureFile {
        FixtureFile(client: client, name: name, url: root.appendingPathComponent(client).appendingPathComponent(name))
    }

    var bytes: [UInt8] { Array(try! Data(contentsOf: url)) }

    /// The frame's payload (after the 4-byte size), checking the size is honest.
    var payload: ByteBuffer {
        var buffer = ByteBuffer(bytes: bytes)
        let size = buffer.readInteger(as: Int32.self)!
        precondition(Int(size) == buffer.readableBytes, "\(testDescription): size \(size) but \(buffer.readableBytes) bytes follow")
        return buffer
    }

    /// The sibling file with another suffix (".json", ".resp.bin").
    func sibling(_ suffix: String) -> FixtureFile? {
        let base = name.replacingOccurrences(of: ".req.bin", with: "")
        let file = FixtureFile.named(client, base + suffix)
        return FileManager.default.fileExists(atPath: file.url.path) ? file : nil
    }

    var json: [String: Any] {
        try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    /// The API version in the file name ("Produce-v7-..." is 7).
    var version: Int16 {
        let part = name.split(separator: "-")[1]
        return Int16(part.dropFirst())!
    }
}

extension ByteBuffer {
    /// The payload with its api_version field replaced: Produce v10 and Metadata
    /// v13 requests are laid out exactly as v9 and v12.
    func withAPIVersion(_ version: Int16) -> ByteBuffer {
        var copy = self
        copy.setInteger(version, at: copy.readerIndex + 2)
        return copy
    }
}

/// The JSON fixtures' way of writing bytes: a UTF-8 string, {"hex": ...},
/// {"hex_prefix": ..., "len": n} for long values, or null.
enum FixtureBytes: Equatable {
    case null
    case exact([UInt8])
    case prefix([UInt8], length: Int)

    init(_ value: Any?) {
        switch value {
        case nil, is NSNull: self = .null
        case let string as String: self = .exact(Array(string.utf8))
        case let object as [String: Any]:
            if let hex = object["hex"] as? String {
                self = .exact(Self.hex(hex))
            } else {
                self = .prefix(Self.hex(object["hex_prefix"] as! String), length: object["len"] as! Int)
            }
        default: fatalError("unexpected fixture bytes \(String(describing: value))")
        }
    }

    func matches(_ bytes: [UInt8]?) -> Bool {
        switch self {
        case .null: bytes == nil
        case .exact(let expected): bytes == expected
        case .prefix(let prefix, let length): bytes.map { $0.count == length && $0.starts(with: prefix) } ?? false
        }
    }

    static func hex(_ string: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = string.startIndex
        while index < string.endIndex {
            let next = string.index(index, offsetBy: 2)
            bytes.append(UInt8(string[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }
}
