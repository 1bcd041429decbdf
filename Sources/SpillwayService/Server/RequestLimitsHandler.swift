import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// What Hummingbird's HTTP/1 channel does not bound by itself, per connection:
/// the time to send a request head once its first byte came (slowloris), the
/// time to send its body, and a body whose declared `Content-Length` is over the
/// limit, refused with 413 before a byte of it is read. It also answers a request
/// the HTTP parser refuses with the listener's JSON error instead of an empty 400.
/// (Idle connections and the connection count are Hummingbird's: `idleTimeout`
/// and `MaximumAvailableConnections`.)
///
/// Sits after HTTP decoding, before Hummingbird's request handling, and learns
/// of raw bytes from `InboundBytesObserver` at the head of the pipeline. Every
/// answer it writes itself closes the connection.
final class RequestLimitsHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The bounds, and how this listener words a refusal.
    struct Limits: Sendable {
        var headerTimeout: TimeAmount
        var bodyTimeout: TimeAmount
        var maxBodyBytes: Int
        /// The response body for a refusal: (status, message, request path when known) → (content type, JSON).
        var refusal: @Sendable (HTTPResponse.Status, String, String?) -> (contentType: String, body: ByteBuffer)
    }

    private enum State {
        /// Between requests: idle (Hummingbird's idle timeout) until bytes come, then the header timeout runs.
        case waitingForHead
        /// A request head was passed on; its body is arriving: the body timeout runs.
        case readingBody(path: String)
        /// The whole request was passed on; its answer is being made.
        case answering
        /// This handler answered and is closing the connection; nothing more is passed on.
        case closing
    }

    private let limits: Limits
    private var state = State.waitingForHead
    private var timer: Scheduled<Void>?
    /// Requests passed on whose answer has not ended yet.
    private var unanswered = 0

    init(_ limits: Limits) {
        self.limits = limits
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopTimer()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is InboundBytesObserver.BytesArrived {
            // The first bytes of a request: from now on its head has `headerTimeout` to arrive.
            if timer == nil, case .waitingForHead = state { startTimer(context, limits.headerTimeout) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopTimer()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .closing = state { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            stopTimer()
            let path = head.path ?? "/"
            if let declared = head.headerFields[.contentLength].flatMap({ Int($0) }), declared > limits.maxBodyBytes {
                refuse(context, .contentTooLarge, "request body is over the limit of \(limits.maxBodyBytes) bytes (Content-Length \(declared))", path: path)
                return
            }
            unanswered += 1
            state = .readingBody(path: path)
            startTimer(context, limits.bodyTimeout)
        case .body:
            break
        case .end:
            stopTimer()
            state = .answering
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            unanswered -= 1
            if unanswered == 0, case .answering = state {
                state = .waitingForHead
            }
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A request the parser refuses before any of it was passed on is answered here, in the
        // listener's JSON; once a request is in Hummingbird's hands, Hummingbird answers.
        if error is HTTPParserError, unanswered == 0, case .waitingForHead = state {
            refuse(context, .badRequest, "malformed HTTP request: \(error)", path: nil)
            return
        }
        context.fireErrorCaught(error)
    }

    private func startTimer(_ context: ChannelHandlerContext, _ timeout: TimeAmount) {
        stopTimer()
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            timer = nil
            switch state {
            case .waitingForHead:
                refuse(context, .requestTimeout, "no complete request head within \(timeout.nanoseconds / 1_000_000) ms", path: nil)
            case .readingBody(let path):
                refuse(context, .requestTimeout, "the request body did not arrive within \(timeout.nanoseconds / 1_000_000) ms", path: path)
            case .answering, .closing:
                break
            }
        }
    }

    private func stopTimer() {
        timer?.cancel()
        timer = nil
    }

    /// Answers with `status` and the listener's JSON error, then closes the connection.
    private func refuse(_ context: ChannelHandlerContext, _ status: HTTPResponse.Status, _ message: String, path: String?) {
        stopTimer()
        state = .closing
        let (contentType, body) = limits.refusal(status, message, path)
        var fields = HTTPFields()
        fields[.contentType] = contentType
        fields[.contentLength] = "\(body.readableBytes)"
        fields[.connection] = "close"
        context.write(wrapOutboundOut(.head(HTTPResponse(status: status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            loopBound.value.close(promise: nil)
        }
    }
}
