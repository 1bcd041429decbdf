import NIOCore

/// Tells `RequestLimitsHandler`, after HTTP decoding, that raw bytes arrived: a
/// request has begun even though its head is not complete, so the header
/// timeout starts then, and an idle keep-alive connection is left to the idle timeout.
/// Armed by `RequestLimitsHandler` while it waits for a request; it tells once, then disarms.
final class InboundBytesObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// The user event sent up the pipeline, before the bytes, when armed.
    struct BytesArrived {}

    /// Set and read on the channel's event loop only, like every handler's state.
    var armed = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if armed {
            armed = false
            context.fireUserInboundEventTriggered(BytesArrived())
        }
        context.fireChannelRead(data)
    }
}
