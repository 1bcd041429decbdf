/// Any JSON value, kept as it came, for laying an answer over the defaults.
enum JSONTree: Codable, Equatable {
    case object([String: JSONTree])
    case array([JSONTree])
    case string(String)
    case integer(Int)
    case number(Double)
    case bool(Bool)
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let integer = try? container.decode(Int.self) {
            self = .integer(integer)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let array = try? container.decode([JSONTree].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: JSONTree].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .object(let fields): try container.encode(fields)
        case .array(let items): try container.encode(items)
        case .string(let text): try container.encode(text)
        case .integer(let integer): try container.encode(integer)
        case .number(let number): try container.encode(number)
        case .bool(let flag): try container.encode(flag)
        case .null: try container.encodeNil()
        }
    }

    /// `received` laid over `self`: objects merge field by field; a field missing
    /// or null in `received` keeps the default; anything else is taken as received.
    func overlaid(with received: JSONTree) -> JSONTree {
        switch (self, received) {
        case (.object(var merged), .object(let fields)):
            for (name, value) in fields {
                merged[name] = merged[name].map { $0.overlaid(with: value) } ?? value
            }
            return .object(merged)
        case (_, .null):
            return self
        default:
            return received
        }
    }
}
