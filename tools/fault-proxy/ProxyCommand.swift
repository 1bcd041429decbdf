/// One fault command, as typed on standard input or sent over HTTP. Parsing is
/// separate from carrying out, so a bad line gets its reason before anything changes.
enum ProxyCommand: Equatable, Sendable {
    /// Refuse new connections and reset the open ones.
    case down(route: Int?)
    /// Keep connections open but forward nothing (a black hole that keeps TCP up).
    case hang(route: Int?)
    /// End `down` and `hang`: listen again, forward what was held.
    case up(route: Int?)
    /// Add this much to the round trip: half of it in each direction.
    case rtt(milliseconds: Int, route: Int?)
    /// Cap each direction of each connection at this many bytes per second (0: no cap).
    case bandwidth(bytesPerSecond: Int, route: Int?)
    /// Every fault off.
    case clear(route: Int?)
    case status

    static let usage = "commands: down [PORT], hang [PORT], up [PORT], rtt MS [PORT], bandwidth BYTES_PER_S [PORT], clear [PORT], status, quit"

    /// Reads one line; the optional PORT picks one route by its listen port (default: all).
    static func parse(_ line: String) -> Result<ProxyCommand, ProxyCommandError> {
        let words = line.split(separator: " ").map(String.init)
        guard let name = words.first?.lowercased() else { return .failure(ProxyCommandError("empty command; \(usage)")) }
        func route(at index: Int) -> Result<Int?, ProxyCommandError> {
            guard words.count > index else { return .success(nil) }
            guard words.count == index + 1, let port = Int(words[index]), (1...65535).contains(port) else {
                return .failure(ProxyCommandError("\(name): expected at most one listen PORT after it, got \"\(words.dropFirst(index).joined(separator: " "))\""))
            }
            return .success(port)
        }
        func amount(_ what: String) -> Result<Int, ProxyCommandError> {
            guard words.count >= 2, let value = Int(words[1]), value >= 0 else {
                return .failure(ProxyCommandError("usage: \(name) \(what) [PORT] (a whole number, 0 to switch it off)"))
            }
            return .success(value)
        }
        switch name {
        case "down": return route(at: 1).map { .down(route: $0) }
        case "hang": return route(at: 1).map { .hang(route: $0) }
        case "up": return route(at: 1).map { .up(route: $0) }
        case "clear": return route(at: 1).map { .clear(route: $0) }
        case "status": return words.count == 1 ? .success(.status) : .failure(ProxyCommandError("status takes no argument"))
        case "rtt":
            return amount("MS").flatMap { ms in route(at: 2).map { .rtt(milliseconds: ms, route: $0) } }
        case "bandwidth":
            return amount("BYTES_PER_S").flatMap { rate in route(at: 2).map { .bandwidth(bytesPerSecond: rate, route: $0) } }
        default:
            return .failure(ProxyCommandError("unknown command \"\(name)\"; \(usage)"))
        }
    }
}

/// Why a command line was refused, in words for the operator.
struct ProxyCommandError: Error, Equatable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
