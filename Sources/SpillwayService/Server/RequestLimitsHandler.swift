import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// What Hummingbird's HTTP/1 channel does not bound by itself, per connection:
/// the time to send a request head once its first byte came (slowloris), the
/// time to send its body, and a body whose declared `Content-Length` is over the
/// limit, refused with 413 before a byte of it is read. It also answers a request
/// the HTTP parser refuses, in its head or in its body's framing, with the listener's
/// JSON error and a reason a person can act on, instead of Hummingbird's empty 400
/// or a route's 400 that leaves the client expecting the connection to stay open.
/// (Idle connections and the connection count are Hummingbird's: `idleTimeout`
/// and `MaximumAvailableConnections`.)
///
/// Sits after HTTP decoding, before Hummingbird's request handling, and learns
/// of raw bytes from `InboundBytesObserver` at the head of the pipeline. Every
/// answer it writes itself says `Connection: close` and closes the connection;
/// whatever Hummingbird writes after it is dropped.
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
        /// Its `Transfer-Encoding` says, for a framing error, what framing was expected.
        case readingBody(path: String, transferEncoding: String?)
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
    /// An answer's head was written and its end not yet: nothing can be put before its end.
    private var responding = false
    /// A refusal waiting for the answers to earlier requests to end (HTTP answers in order).
    private var heldRefusal: (status: HTTPResponse.Status, message: String, path: String?)?
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
            state = .readingBody(path: path, transferEncoding: head.headerFields[.transferEncoding])
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
        if isClosing {
            // This handler answered and closes the connection: a route's answer to a request whose
            // body failed, or Hummingbird's own empty 400 for the parser's error, has no place after it.
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        let part = unwrapOutboundIn(data)
        switch part {
        case .head(let head) where head.status.kind != .informational:
            responding = true
        case .end:
            responding = false
            unanswered -= 1
            if unanswered == 0, case .answering = state {
                // Idle until the next request's first byte (Hummingbird's idle timeout governs until then).
                state = .waitingForHead
                observer?.armed = true
            }
        default:
            break
        }
        context.write(data, promise: promise)
        if case .end = part, let held = heldRefusal, mayAnswerNow {
            heldRefusal = nil
            refuse(context, held.status, held.message, path: held.path)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Once this handler has an answer, a further parser error (the connection's end cut a body
        // short) only goes on to Hummingbird, so a route reading the body fails instead of taking part of it.
        guard let parserError = error as? HTTPParserError, !isClosing, heldRefusal == nil else { return context.fireErrorCaught(error) }
        // After a parser error nothing more on this connection can be read, so the answer closes it.
        // It is this handler's whether the request was passed on or not: a route would answer without
        // `Connection: close`, Hummingbird with an empty body.
        let message: String
        var path: String?
        if case .readingBody(let requestPath, let transferEncoding) = state {
            path = requestPath
            message = "malformed HTTP request body: \(parserError.reason(inBody: true, transferEncoding: transferEncoding))"
        } else {
            message = "malformed HTTP request: \(parserError.reason(inBody: false, transferEncoding: nil))"
        }
        if mayAnswerNow {
            refuse(context, .badRequest, message, path: path)
        } else {
            // Nothing more arrives to be late: the timeouts give way to the held refusal.
            deadline = nil
            heldRefusal = (.badRequest, message, path)
        }
        // Hummingbird learns of it too, so a route reading the body fails instead of taking part of it.
        context.fireErrorCaught(error)
    }

    private var isClosing: Bool {
        if case .closing = state { return true }
        return false
    }

    /// Whether a refusal of the request now arriving can be written: no answer is half
    /// written, and every request before it is answered (the one whose body is arriving
    /// is answered by the refusal itself).
    private var mayAnswerNow: Bool {
        if responding { return false }
        if case .readingBody = state { return unanswered <= 1 }
        return unanswered == 0
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
            case .readingBody(let path, _):
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
