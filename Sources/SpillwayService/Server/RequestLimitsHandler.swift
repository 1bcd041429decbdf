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
    /// When the request in progress is late (its head, or its body), if one is.
    private var deadline: NIODeadline?
    /// One check at a time: it looks at `deadline` when it fires and schedules the next, so a
    /// request costs a clock reading, not a scheduled task (keep-alive connections take thousands).
    private var check: (task: Scheduled<Void>, at: NIODeadline)?
    /// Requests passed on whose answer has not ended yet.
    private var unanswered = 0
    /// Before the HTTP decoder: it tells this handler, once per request, that bytes arrived.
    private var observer: InboundBytesObserver?

    init(_ limits: Limits) {
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        observer = try? context.pipeline.syncOperations.handler(type: InboundBytesObserver.self)
        observer?.armed = true
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        check?.task.cancel()
        check = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is InboundBytesObserver.BytesArrived {
            // The first bytes of a request: from now on its head has `headerTimeout` to arrive.
            if case .waitingForHead = state { setDeadline(context, in: limits.headerTimeout) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .closing = state { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            let path = head.path ?? "/"
            if let declared = head.headerFields[.contentLength].flatMap({ Int($0) }), declared > limits.maxBodyBytes {
                refuse(context, .contentTooLarge, "request body is over the limit of \(limits.maxBodyBytes) bytes (Content-Length \(declared))", path: path)
                return
            }
            unanswered += 1
            state = .readingBody(path: path)
            setDeadline(context, in: limits.bodyTimeout)
        case .body:
            break
        case .end:
            deadline = nil
            state = .answering
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            unanswered -= 1
            if unanswered == 0, case .answering = state {
                // Idle until the next request's first byte (Hummingbird's idle timeout governs until then).
                state = .waitingForHead
                observer?.armed = true
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

    private func setDeadline(_ context: ChannelHandlerContext, in timeout: TimeAmount) {
        let due = NIODeadline.now() + timeout
        deadline = due
        // A check due sooner will find this deadline and wait for it; only a later one is moved.
        if let check, check.at <= due { return }
        check?.task.cancel()
        scheduleCheck(context, at: due)
    }

    private func scheduleCheck(_ context: ChannelHandlerContext, at due: NIODeadline) {
        let task = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) { [self] in
            check = nil
            guard let deadline else { return }
            guard NIODeadline.now() >= deadline else { return scheduleCheck(context, at: deadline) }
            switch state {
            case .waitingForHead:
                refuse(context, .requestTimeout, "no complete request head within \(limits.headerTimeout.nanoseconds / 1_000_000) ms", path: nil)
            case .readingBody(let path):
                refuse(context, .requestTimeout, "the request body did not arrive within \(limits.bodyTimeout.nanoseconds / 1_000_000) ms", path: path)
            case .answering, .closing:
                break
            }
        }
        check = (task, due)
    }

    /// Answers with `status` and the listener's JSON error, then closes the connection.
    private func refuse(_ context: ChannelHandlerContext, _ status: HTTPResponse.Status, _ message: String, path: String?) {
        deadline = nil
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
