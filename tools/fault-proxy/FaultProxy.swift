import NIOCore
import NIOPosix

/// The proxy: a listener per route, the connections across it, and the faults
/// in force. It owns one event loop and does everything there, so faults,
/// reads and timers never race.
///
/// `@unchecked Sendable`: every stored property is touched on `loop` only; the
/// public entry points hop onto it.
final class FaultProxy: @unchecked Sendable {
    let routes: [ProxyRoute]
    let loop: EventLoop
    private var faults: [String: RouteFaults] = [:]
    private var listeners: [String: Channel] = [:]
    private var connections: [ObjectIdentifier: ProxyConnection] = [:]
    private var accepted = 0
    private var refused = 0

    init(routes: [ProxyRoute], loop: EventLoop) {
        self.routes = routes
        self.loop = loop
        for route in routes { faults[route.listen] = RouteFaults() }
    }

    /// Opens every listener; fails if one cannot listen.
    func start() -> EventLoopFuture<Void> {
        loop.flatSubmit {
            EventLoopFuture.andAllSucceed(self.routes.map { self.listen($0) }, on: self.loop)
        }
    }

    /// Carries out one command; the answer starts with `ok` or `error`.
    func apply(_ command: ProxyCommand) -> EventLoopFuture<String> {
        loop.flatSubmit { self.perform(command) }
    }

    // MARK: On the loop

    private func perform(_ command: ProxyCommand) -> EventLoopFuture<String> {
        let selected: [ProxyRoute]
        switch command {
        case .status:
            return loop.makeSucceededFuture("ok: " + routes.map(statusLine).joined(separator: "; "))
        case .down(let port), .hang(let port), .up(let port), .clear(let port), .rtt(_, let port), .bandwidth(_, let port):
            selected = routes.filter { port == nil || $0.listenPort == port }
            if selected.isEmpty {
                return loop.makeSucceededFuture("error: no route listens on port \(port ?? 0); routes: \(routes.map(\.description).joined(separator: ", "))")
            }
        }
        var reopen: [EventLoopFuture<Void>] = []
        for route in selected {
            var current = faults[route.listen] ?? RouteFaults()
            switch command {
            case .down: current.down = true
            case .hang: current.hang = true
            case .up: current.down = false; current.hang = false
            case .clear: current = RouteFaults()
            case .rtt(let milliseconds, _): current.roundTripMilliseconds = milliseconds
            case .bandwidth(let rate, _): current.bytesPerSecond = rate
            case .status: break
            }
            faults[route.listen] = current
            if current.down {
                listeners.removeValue(forKey: route.listen)?.close(promise: nil)
                for connection in connections.values where connection.route == route.listen { connection.reset() }
            } else if listeners[route.listen] == nil {
                reopen.append(listen(route))
            }
        }
        for connection in connections.values { connection.refresh() }
        let which = selected.count == routes.count ? "all routes" : selected.map(\.listen).joined(separator: ",")
        return EventLoopFuture.andAllSucceed(reopen, on: loop)
            .map { "ok: \(which): \(selected.map { self.faults[$0.listen]?.summary ?? "" }.first ?? "")" }
            .recover { "error: cannot listen again: \($0)" }
    }

    private func statusLine(_ route: ProxyRoute) -> String {
        let open = connections.values.filter { $0.route == route.listen }
        let up = open.reduce(0) { $0 + $1.forwardedBytes.toBroker }
        let down = open.reduce(0) { $0 + $1.forwardedBytes.toClient }
        return "\(route) [\(faults[route.listen]?.summary ?? "?")] connections \(open.count) (open now; \(up) B to the broker, \(down) B back)"
    }

    private func listen(_ route: ProxyRoute) -> EventLoopFuture<Void> {
        ServerBootstrap(group: loop)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.autoRead, value: false)
            .childChannelInitializer { channel in
                self.loop.submit { self.accept(channel, route: route) }
            }
            .bind(host: route.listenHost, port: route.listenPort)
            .map { channel in self.listeners[route.listen] = channel }
    }

    private func accept(_ channel: Channel, route: ProxyRoute) {
        guard faults[route.listen]?.down == false else {
            refused += 1
            channel.close(promise: nil)
            return
        }
        accepted += 1
        let connection = ProxyConnection(
            route: route.listen, client: channel,
            faults: { [unowned self] in self.faults[route.listen] ?? RouteFaults() },
            onFinish: { [unowned self] in self.connections.removeValue(forKey: ObjectIdentifier($0)) }
        )
        connections[ObjectIdentifier(connection)] = connection
        try? channel.pipeline.syncOperations.addHandler(ForwardHandler(connection: connection, side: .client))
        ClientBootstrap(group: loop)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(ChannelOptions.autoRead, value: false)
            .connectTimeout(.seconds(10))
            .channelInitializer { broker in
                broker.eventLoop.makeCompletedFuture {
                    try broker.pipeline.syncOperations.addHandler(ForwardHandler(connection: connection, side: .broker))
                }
            }
            .connect(host: route.brokerHost, port: route.brokerPort)
            .whenComplete { result in
                switch result {
                case .success(let broker): connection.brokerConnected(broker)
                // The broker is not there: the client sees its connection reset.
                case .failure: connection.reset()
                }
            }
    }
}
