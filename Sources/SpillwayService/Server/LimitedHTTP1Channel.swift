import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1 channel with `InboundBytesObserver` put before the HTTP
/// decoder, so `RequestLimitsHandler` (one of the channel's additional handlers)
/// knows when a request's first byte arrives. Everything else is `HTTP1Channel`'s.
struct LimitedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let http1: HTTP1Channel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(InboundBytesObserver(), position: .first)
        }.flatMap {
            http1.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}
