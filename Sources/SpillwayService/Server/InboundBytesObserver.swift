import NIOCore

/// Tells `RequestLimitsHandler`, after HTTP decoding, that raw bytes arrived: a
/// request has begun even though its head is not complete, so the header
/// timeout starts then, and an idle keep-alive connection is left to the idle timeout.
final class InboundBytesObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// The user event sent up the pipeline before each read's bytes.
    struct BytesArrived {}

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireUserInboundEventTriggered(BytesArrived())
        context.fireChannelRead(data)
    }
}
