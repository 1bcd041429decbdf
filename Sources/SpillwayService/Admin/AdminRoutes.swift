import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix
import Spillway
import SpillwayAdminContract
import SpillwaySpool

/// The admin listener: status, breaker and backlog control, spool statistics, metrics.
/// Requests and answers are the `AdminContract` types the CLI uses too.
struct AdminRoutes: Sendable {
    let buffer: SpillwayBuffer
    let settings: ServiceSettings
    /// Renders the Prometheus text exposition.
    let metrics: @Sendable () -> String
    /// The Kafka listener's connections, when it is on.
    var kafkaListener: KafkaConnections? = nil

    /// Largest admin request body; commands are a few bytes.
    static let maxBodyBytes = 64 * 1024

    /// What `register` adds, for the answer to a request no route takes.
    static let endpoints: [UnknownRouteMiddleware<BasicRequestContext>.Endpoint] = [
        .init(method: .get, path: AdminContract.Route.status), .init(method: .put, path: AdminContract.Route.breaker),
        .init(method: .put, path: AdminContract.Route.backlog), .init(method: .get, path: "/v1/spool"), .init(method: .get, path: "/metrics"),
    ]

    func register(on router: Router<BasicRequestContext>) {
        router.get(RouterPath(AdminContract.Route.status)) { _, _ in
            var document = AdminStatus(buffer.status(), configuration: buffer.configuration)
            document.kafkaListener = kafkaListener?.status()
            return Self.reply(.ok, document)
        }
        router.put(RouterPath(AdminContract.Route.breaker)) { request, _ in
            do throws(AdminErrorReply) {
                let command = try await decode(BreakerRequest.self, request)
                buffer.setBreakerMode(command.mode)
                return Self.reply(.ok, BreakerReply(mode: command.mode))
            } catch {
                let modes = BreakerMode.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " | ")
                return Self.reply(.badRequest, AdminErrorReply(error.error + " (expected {\"mode\": \(modes)})"))
            }
        }
        router.put(RouterPath(AdminContract.Route.backlog)) { request, _ in
            do throws(AdminErrorReply) {
                let command = try await decode(BacklogRequest.self, request)
                if let problem = command.problem() { throw AdminErrorReply(problem) }
                if command.recordsPerSecond != nil || command.bytesPerSecond != nil || command.minRecordsPerSecond != nil {
                    do throws(SpillwayConfigurationError) {
                        try buffer.setReplayRate(
                            recordsPerSecond: command.recordsPerSecond, bytesPerSecond: command.bytesPerSecond, minRecordsPerSecond: command.minRecordsPerSecond
                        )
                    } catch {
                        throw AdminErrorReply(error.description)
                    }
                }
                switch command.paused {
                case true?: buffer.pauseReplay()
                case false?: buffer.resumeReplay()
                case nil: break
                }
                return Self.reply(.ok, AdminStatus(buffer.status()).replay)
            } catch {
                return Self.reply(.badRequest, error)
            }
        }
        router.get("/v1/spool") { _, _ in
            let path = settings.pipeline.spool.path
            do {
                // A read-only connection beside the writer; scanning is blocking work, off the event loop.
                let statistics = try await NIOThreadPool.singleton.runIfActive {
                    try Spool.openForInspection(path: path, integrityCheck: .skip).statistics()
                }
                return Self.reply(.ok, statistics)
            } catch {
                return Self.reply(.serviceUnavailable, AdminErrorReply("\(error)"))
            }
        }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: metrics())))
        }
    }

    /// An answer in the contract's encoding.
    static func reply(_ status: HTTPResponse.Status, _ document: some Encodable) -> Response {
        let data = (try? AdminContract.encoder.encode(document)) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A request body as the contract type, or the reason it is not one, in the request's field names.
    /// Duplicate and unknown fields are refused first (`AdminBodyCheck`).
    private func decode<T: AdminRequest>(_ type: T.Type, _ request: Request) async throws(AdminErrorReply) -> T {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maxBodyBytes)
        } catch {
            throw AdminErrorReply("request body is over \(Self.maxBodyBytes / 1024) KiB")
        }
        let bytes = Array(body.readableBytesView)
        try AdminBodyCheck.check(bytes, as: T.self)
        do {
            return try AdminContract.requestDecoder.decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw AdminErrorReply(error.clientDescription)
        } catch {
            throw AdminErrorReply("malformed JSON")
        }
    }
}
