/// One listen address in front of one broker: `LISTEN=BROKER`, where LISTEN is
/// `PORT` or `HOST:PORT` (host 127.0.0.1 by default) and BROKER is `HOST:PORT`.
struct ProxyRoute: Equatable, Sendable, CustomStringConvertible {
    var listenHost: String
    var listenPort: Int
    var brokerHost: String
    var brokerPort: Int

    init(listenHost: String, listenPort: Int, brokerHost: String, brokerPort: Int) {
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.brokerHost = brokerHost
        self.brokerPort = brokerPort
    }

    init(parsing text: String) throws(ProxyCommandError) {
        let sides = text.split(separator: "=", omittingEmptySubsequences: false)
        guard sides.count == 2 else { throw ProxyCommandError("route \"\(text)\": expected LISTEN=BROKER, such as 19092=kafka-1.staging:9092") }
        let listen = try Self.address(String(sides[0]), defaultHost: "127.0.0.1", in: text)
        let broker = try Self.address(String(sides[1]), defaultHost: nil, in: text)
        self.init(listenHost: listen.host, listenPort: listen.port, brokerHost: broker.host, brokerPort: broker.port)
    }

    var description: String { "\(listen) -> \(brokerHost):\(brokerPort)" }

    /// `HOST:PORT` it listens on: unique per route, the key for its faults and connections.
    var listen: String { "\(listenHost):\(listenPort)" }

    private static func address(_ text: String, defaultHost: String?, in route: String) throws(ProxyCommandError) -> (host: String, port: Int) {
        let host: String
        let portText: Substring
        if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
        } else if let defaultHost {
            host = defaultHost
            portText = Substring(text)
        } else {
            throw ProxyCommandError("route \"\(route)\": the broker needs HOST:PORT, got \"\(text)\"")
        }
        guard !host.isEmpty, let port = Int(portText), (1...65535).contains(port) else {
            throw ProxyCommandError("route \"\(route)\": \"\(text)\" is not HOST:PORT with a port from 1 to 65535")
        }
        return (host, port)
    }
}
