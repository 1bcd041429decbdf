import Logging
import NIOCore
import Spillway
import SpillwayKafkaWire

/// One Kafka client's connection: decodes each request, asks the responder, and
/// writes the answers in the order the requests came, as the protocol requires
/// (a Produce request still waiting for its records holds back the answers to
/// the requests after it; the client pipelines at most its in-flight limit).
/// Runs on the connection's event loop and never blocks it: answers that come
/// from the pipeline's threads hop back here.
final class KafkaConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Requests whose answers are not written yet, past which the connection stops reading.
    static let maxUnanswered = 64

    private let responder: KafkaRequestResponder
    private let connections: KafkaConnections
    private let logger: Logger
    private var identifiedAs: String?
    private var received = 0
    private var written = 0
    /// Answers ready out of order, by request number; `nil`: no answer is due (acks=0).
    private var ready: [Int: ByteBuffer?] = [:]
    private var peer = "unknown"
    private var client = "unknown"
    private var readingPaused = false
    private var closing = false

    init(responder: KafkaRequestResponder, connections: KafkaConnections, logger: Logger) {
        self.responder = responder
        self.connections = connections
        self.logger = logger
    }

    /// No request is waiting for its answer (the idle timeout applies only then).
    var isQuiet: Bool { received == written }

    func channelActive(context: ChannelHandlerContext) {
        peer = context.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "unknown"
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        let frame = unwrapInboundIn(data)
        let number = received
        received += 1
        let header: KafkaRequestHeader
        let request: KafkaRequest
        do {
            (header, request) = try KafkaRequestDecoder.decode(frame)
        } catch {
            refuse(error, number: number, context: context)
            return
        }
        if header.clientID != identifiedAs {
            identifiedAs = header.clientID
            if let clientID = header.clientID, !clientID.isEmpty { client = "\(clientID)@\(peer)" } else { client = peer }
            connections.identify(context.channel, clientID: header.clientID, software: nil)
        }
        Self.countRequest(header)
        let loop = context.eventLoop
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: loop)
        switch request {
        case .apiVersions(let request):
            if let name = request.clientSoftwareName {
                connections.identify(context.channel, clientID: nil, software: "\(name.prefix(64)) \((request.clientSoftwareVersion ?? "").prefix(64))")
            }
            answer(.apiVersions(responder.apiVersions(request)), to: header, number: number, context: context)
        case .metadata(let request):
            let local = context.localAddress
            let advertised = (host: local?.ipAddress ?? "127.0.0.1", port: local?.port ?? 0)
            answer(.metadata(responder.metadata(request, advertised: advertised)), to: header, number: number, context: context)
        case .initProducerID(let request):
            answer(.initProducerID(responder.initProducerID(request)), to: header, number: number, context: context)
        case .produce(let request):
            let silent = request.acks == 0
            responder.produce(request, client: client) { response in
                guard !silent else { return }
                loop.execute {
                    let (handler, context) = bound.value
                    handler.answer(.produce(response), to: header, number: number, context: context)
                }
            }
            // acks=0: the client expects no answer; the next one may be written.
            if silent { complete(number, with: nil, context: context) }
        }
        if received - written >= Self.maxUnanswered, !readingPaused {
            readingPaused = true
            _ = context.channel.setOption(ChannelOptions.autoRead, value: false)
        }
    }

    private func answer(_ response: KafkaResponse, to header: KafkaRequestHeader, number: Int, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 256)
        KafkaResponseEncoder.encode(response, answering: header, into: &buffer)
        complete(number, with: buffer, context: context)
    }

    /// Writes every answer that is next in order.
    private func complete(_ number: Int, with buffer: ByteBuffer?, context: ChannelHandlerContext) {
        guard !closing, context.channel.isActive else { return }
        ready[number] = .some(buffer)
        var wrote = false
        while let next = ready.removeValue(forKey: written) {
            written += 1
            if let next {
                context.write(wrapOutboundOut(next), promise: nil)
                wrote = true
            }
        }
        if wrote { context.flush() }
        if readingPaused, received - written < Self.maxUnanswered / 2 {
            readingPaused = false
            _ = context.channel.setOption(ChannelOptions.autoRead, value: true)
        }
    }

    /// A request that cannot be decoded closes the connection (its framing can no
    /// longer be trusted), except an ApiVersions request at a version Spillway does
    /// not know, which the protocol answers in version 0 so the client can retry lower.
    private func refuse(_ error: any Error, number: Int, context: ChannelHandlerContext) {
        guard let error = error as? KafkaWireError else {
            close(context, reason: "malformed", "could not read a request from \(client): \(error)")
            return
        }
        if error.kind == .unsupportedVersion, var header = error.header, header.apiKey == KafkaAPIKey.apiVersions.rawValue {
            responder.protocolError("unsupported_version", "\(client) asked for ApiVersions v\(header.apiVersion); answered in v0 with the versions Spillway speaks")
            header.apiVersion = 0
            answer(.apiVersions(ApiVersionsResponse(errorCode: .unsupportedVersion, throttleTimeMs: 0)), to: header, number: number, context: context)
            return
        }
        let reason = switch error.kind {
        case .malformed: "malformed"
        case .unsupportedAPI: "unsupported_api"
        case .unsupportedVersion: "unsupported_version"
        }
        close(context, reason: reason, "closed the connection from \(client): \(error.description)")
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? KafkaWireError {
            close(context, reason: "framing", "closed the connection from \(client): \(error.description)")
        } else if !(error is ChannelError) {
            close(context, reason: "connection", "closed the connection from \(client): \(error)")
        } else {
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? IdleStateHandler.IdleStateEvent, event == .read || event == .all {
            // Idle only when no request waits for its answer: a Produce at acks=all may wait long.
            if isQuiet {
                logger.debug("closed an idle Kafka connection", metadata: ["client": "\(client)"])
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func close(_ context: ChannelHandlerContext, reason: String, _ message: String) {
        guard !closing else { return }
        closing = true
        responder.protocolError(reason, message)
        context.close(promise: nil)
    }

    private static func countRequest(_ header: KafkaRequestHeader) {
        let api = KafkaAPIKey(rawValue: header.apiKey).map { "\($0)" } ?? "\(header.apiKey)"
        KafkaListenerMetrics.request(api: api, version: header.apiVersion)
    }
}
