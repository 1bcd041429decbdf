import DequeModule
#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// One client connection and its connection to the broker, with the bytes in
/// between held back as the route's faults say.
///
/// `@unchecked Sendable`: every property is read and written on `loop` only
/// (the proxy's single event loop; channel handlers and commands both run there).
final class ProxyConnection: @unchecked Sendable {
    enum Side { case client, broker }

    /// Bytes travelling one way, each chunk with the time it may leave.
    struct Direction {
        var chunks = Deque<(release: NIODeadline, data: ByteBuffer)>()
        var bytes = 0
        var shaper = LinkShaper()
        var wakeUp: Scheduled<Void>?
        /// The sending side has closed: close the receiving side once this is empty.
        var closeWhenEmpty = false
        var forwarded = 0
    }

    /// Held bytes per direction above which the sender is no longer read (TCP back-pressure).
    static let holdLimit = 4 << 20

    /// The route's listen address (`HOST:PORT`).
    let route: String
    let loop: EventLoop
    let client: Channel
    private(set) var broker: Channel?
    private var toBroker = Direction()
    private var toClient = Direction()
    private var faults: () -> RouteFaults
    private var reading: [Side: Bool] = [.client: false, .broker: false]
    private(set) var finished = false
    private let onFinish: (ProxyConnection) -> Void

    init(route: String, client: Channel, faults: @escaping () -> RouteFaults, onFinish: @escaping (ProxyConnection) -> Void) {
        self.route = route
        self.client = client
        self.loop = client.eventLoop
        self.faults = faults
        self.onFinish = onFinish
    }

    var forwardedBytes: (toBroker: Int, toClient: Int) { (toBroker.forwarded, toClient.forwarded) }

    /// The broker side is connected: start moving bytes.
    func brokerConnected(_ channel: Channel) {
        loop.preconditionInEventLoop()
        guard !finished else { channel.close(promise: nil); return }
        broker = channel
        refresh()
    }

    /// Bytes read from one side, for the other.
    func received(_ data: ByteBuffer, from side: Side) {
        loop.preconditionInEventLoop()
        guard !finished else { return }
        let current = faults()
        let now = NIODeadline.now()
        let oneWay = Int64(current.roundTripMilliseconds) * 500_000
        update(side == .client ? \.toBroker : \.toClient) { direction in
            let release = direction.shaper.release(
                bytes: data.readableBytes, arrivingAt: Int64(now.uptimeNanoseconds), oneWayDelayNanoseconds: oneWay,
                bytesPerSecond: current.bytesPerSecond
            )
            direction.chunks.append((NIODeadline.uptimeNanoseconds(UInt64(max(0, release))), data))
            direction.bytes += data.readableBytes
        }
        refresh()
    }

    /// One side closed: the other gets what is still on its way, then closes too.
    func closed(_ side: Side) {
        loop.preconditionInEventLoop()
        guard !finished else { return }
        update(side == .client ? \.toBroker : \.toClient) { $0.closeWhenEmpty = true }
        if side == .client { toClient = Direction() } else { toBroker = Direction() }
        refresh()
    }

    /// Tears both sides down with a TCP reset, as a broker that died would.
    func reset() {
        loop.preconditionInEventLoop()
        guard !finished else { return }
        for channel in [client, broker].compactMap({ $0 }) {
            // SO_LINGER 0: close sends RST instead of FIN.
            if let options = channel as? SocketOptionProvider {
                options.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
            } else {
                channel.close(promise: nil)
            }
        }
        finish()
    }

    /// Re-reads the faults: forwards what is due, schedules the rest, and
    /// reads from each side only while bytes may move and little is held.
    func refresh() {
        loop.preconditionInEventLoop()
        guard !finished else { return }
        let forwarding = faults().forwarding
        if forwarding {
            pump(\.toBroker, into: broker)
            pump(\.toClient, into: client)
        } else {
            toBroker.wakeUp?.cancel(); toBroker.wakeUp = nil
            toClient.wakeUp?.cancel(); toClient.wakeUp = nil
        }
        guard !finished else { return }
        setReading(.client, forwarding && broker != nil && toBroker.bytes < Self.holdLimit && !toBroker.closeWhenEmpty)
        setReading(.broker, forwarding && toClient.bytes < Self.holdLimit && !toClient.closeWhenEmpty)
    }

    private func pump(_ path: ReferenceWritableKeyPath<ProxyConnection, Direction>, into channel: Channel?) {
        guard let channel else { return }
        let now = NIODeadline.now()
        var wrote = false
        while let first = self[keyPath: path].chunks.first, first.release <= now {
            self[keyPath: path].chunks.removeFirst()
            self[keyPath: path].bytes -= first.data.readableBytes
            self[keyPath: path].forwarded += first.data.readableBytes
            channel.write(first.data, promise: nil)
            wrote = true
        }
        if wrote { channel.flush() }
        self[keyPath: path].wakeUp?.cancel()
        self[keyPath: path].wakeUp = nil
        if let next = self[keyPath: path].chunks.first {
            self[keyPath: path].wakeUp = loop.scheduleTask(deadline: next.release) { [self] in refresh() }
        } else if self[keyPath: path].closeWhenEmpty {
            channel.close(promise: nil)
            finish()
        }
    }

    private func update(_ path: ReferenceWritableKeyPath<ProxyConnection, Direction>, _ change: (inout Direction) -> Void) {
        change(&self[keyPath: path])
    }

    private func setReading(_ side: Side, _ wanted: Bool) {
        guard reading[side] != wanted, let channel = side == .client ? client : broker else { return }
        reading[side] = wanted
        channel.setOption(ChannelOptions.autoRead, value: wanted).whenFailure { _ in }
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        toBroker.wakeUp?.cancel()
        toClient.wakeUp?.cancel()
        toBroker = Direction()
        toClient = Direction()
        client.close(promise: nil)
        broker?.close(promise: nil)
        onFinish(self)
    }
}

/// Hands each read and close of one side to its connection.
final class ForwardHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let connection: ProxyConnection
    private let side: ProxyConnection.Side

    init(connection: ProxyConnection, side: ProxyConnection.Side) {
        self.connection = connection
        self.side = side
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.received(unwrapInboundIn(data), from: side)
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.closed(side)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A reset from either side: pass it on as a reset.
        connection.reset()
    }
}
