import Foundation

extension DecodingError {
    /// Where and what, for a client fixing its request: `records[2].value: expected a string`.
    var clientDescription: String {
        func path(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return path.hasPrefix(".") ? String(path.dropFirst()) : path
        }
        switch self {
        case let .keyNotFound(key, context):
            let at = path(context)
            return "missing field \"\(key.stringValue)\"\(at.isEmpty ? "" : " in \(at)")"
        case let .typeMismatch(type, context):
            return "\(path(context).isEmpty ? "body" : path(context)): expected \(Self.name(of: type))"
        case let .valueNotFound(type, context):
            return "\(path(context)): expected \(Self.name(of: type)), found null"
        case let .dataCorrupted(context):
            if let underlying = context.underlyingError as NSError?,
               let detail = underlying.userInfo[NSDebugDescriptionErrorKey] as? String {
                return "malformed JSON: \(detail)"
            }
            let detail = Self.plainDetail(context.debugDescription)
            return context.codingPath.isEmpty ? "malformed JSON: \(detail)" : "\(path(context)): \(detail)"
        @unknown default:
            return "malformed request"
        }
    }

    /// Foundation's "Cannot initialize Encoding from invalid String value hex" names a
    /// Swift type the client never saw; say which value was refused instead.
    private static func plainDetail(_ detail: String) -> String {
        guard detail.hasPrefix("Cannot initialize "), let range = detail.range(of: " from invalid ") else { return detail }
        let rest = detail[range.upperBound...]
        guard let valueStart = rest.range(of: " value ") else { return detail }
        return "\"\(rest[valueStart.upperBound...])\" is not an accepted value"
    }

    private static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int32.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default: "\(type)".contains("Array") ? "an array" : "an object"
        }
    }
}
