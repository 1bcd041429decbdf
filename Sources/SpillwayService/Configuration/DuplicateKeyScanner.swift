import Foundation

/// Finds a key written twice in one JSON object. JSON parsers, Foundation's and
/// so swift-configuration's, keep one of the two silently; a configuration file
/// with two `port`s is a mistake to name, not to guess at. Runs on text that
/// has already parsed as JSON, so it only tracks strings and nesting.
enum DuplicateKeyScanner {
    struct Duplicate: Equatable {
        /// Dotted, like the key: `http.port`.
        var key: String
        var firstLine: Int
        var secondLine: Int
    }

    private struct Container {
        var isObject: Bool
        var path: String
        var seen: [String: Int] = [:]
        var expectingKey: Bool
    }

    static func firstDuplicate(in bytes: [UInt8]) -> Duplicate? {
        var stack: [Container] = []
        var line = 1
        var lastKey = ""
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\n"):
                line += 1
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let path = stack.last.map { $0.isObject ? join($0.path, lastKey) : $0.path + "[]" } ?? ""
                let isObject = bytes[index] == UInt8(ascii: "{")
                stack.append(Container(isObject: isObject, path: path, expectingKey: isObject))
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = stack.popLast()
            case UInt8(ascii: ","):
                if stack.last?.isObject == true { stack[stack.count - 1].expectingKey = true }
            case UInt8(ascii: "\""):
                var end = index + 1
                while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
                    end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1
                }
                if let container = stack.last, container.isObject, container.expectingKey {
                    let token = Data(bytes[index...min(end, bytes.count - 1)])
                    let key = (try? JSONDecoder().decode(String.self, from: token)) ?? String(decoding: token.dropFirst().dropLast(), as: UTF8.self)
                    if let first = container.seen[key] {
                        return Duplicate(key: join(container.path, key), firstLine: first, secondLine: line)
                    }
                    stack[stack.count - 1].seen[key] = line
                    stack[stack.count - 1].expectingKey = false
                    lastKey = key
                }
                index = end
            default:
                break
            }
            index += 1
        }
        return nil
    }

    private static func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }
}
