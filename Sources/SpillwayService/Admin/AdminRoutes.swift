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
    /// Every compartment; a request naming a `cluster` acts on that one, else on all.
    let router: SpillwayRouter
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

    func register(on http: Router<BasicRequestContext>) {
        http.get(RouterPath(AdminContract.Route.status)) { _, _ in
            var document = status()
            document.kafkaListener = kafkaListener?.status()
            return Self.reply(.ok, document)
        }
        http.put(RouterPath(AdminContract.Route.breaker)) { request, _ in
            let command: BreakerRequest
            do throws(AdminErrorReply) {
                command = try await decode(BreakerRequest.self, request)
            } catch {
                let modes = BreakerMode.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " | ")
                return Self.reply(.badRequest, AdminErrorReply(error.error + " (expected {\"mode\": \(modes)})"))
            }
            do throws(AdminErrorReply) {
                let targets = try compartments(command.cluster)
                for (_, buffer) in targets { buffer.setBreakerMode(command.mode) }
                return Self.reply(.ok, BreakerReply(mode: command.mode, clusters: router.clusters.count > 1 ? targets.map(\.cluster) : nil))
            } catch {
                return Self.reply(.badRequest, error)
            }
        }
        http.put(RouterPath(AdminContract.Route.backlog)) { request, _ in
            do throws(AdminErrorReply) {
                let command = try await decode(BacklogRequest.self, request)
                if let problem = command.problem() { throw AdminErrorReply(problem) }
                let targets = try compartments(command.cluster)
                for (cluster, buffer) in targets {
                    if command.recordsPerSecond != nil || command.bytesPerSecond != nil || command.minRecordsPerSecond != nil {
                        do throws(SpillwayConfigurationError) {
                            try buffer.setReplayRate(
                                recordsPerSecond: command.recordsPerSecond, bytesPerSecond: command.bytesPerSecond, minRecordsPerSecond: command.minRecordsPerSecond
                            )
                        } catch {
                            throw AdminErrorReply(targets.count > 1 ? "cluster \(cluster): \(error.description)" : error.description)
                        }
                    }
                    switch command.paused {
                    case true?: buffer.pauseReplay()
                    case false?: buffer.resumeReplay()
                    case nil: break
                    }
                }
                var replay = AdminStatus(targets[0].buffer.status()).replay
                if router.clusters.count > 1 { replay.clusters = targets.map(\.cluster) }
                return Self.reply(.ok, replay)
            } catch {
                return Self.reply(.badRequest, error)
            }
        }
        http.get("/v1/spool") { request, _ in
            let name = request.uri.queryParameters["cluster"].map(String.init)
            let compartment: SpillwayBuffer
            do throws(AdminErrorReply) {
                compartment = try compartments(name)[0].buffer
            } catch {
                return Self.reply(.badRequest, error)
            }
            let path = compartment.configuration.spool.path
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
        http.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: metrics())))
        }
    }

    /// The document of `GET /v1/status`: the `default` compartment's figures, and
    /// with several clusters each compartment's under `clusters`.
    func status() -> AdminStatus {
        let documents = router.compartments.map { cluster, buffer in
            var document = AdminStatus(buffer.status(), configuration: buffer.configuration)
            if router.clusters.count > 1 {
                document.cluster = cluster
                // `default` takes every topic routed nowhere else: it has no list.
                document.topics = cluster == TopicRoutes.defaultCluster
                    ? nil : router.routes.routes.filter { $0.cluster == cluster }.flatMap(\.topics).map(\.description)
            }
            return document
        }
        var document = documents[router.clusters.firstIndex(of: TopicRoutes.defaultCluster) ?? 0]
        if documents.count > 1 { document.clusters = documents }
        return document
    }

    /// The compartments a request acts on: the one it names, or every one.
    private func compartments(_ name: String?) throws(AdminErrorReply) -> [(cluster: String, buffer: SpillwayBuffer)] {
        guard let name else { return router.compartments }
        guard let buffer = router.buffer(cluster: name) else {
            throw AdminErrorReply("no cluster named \"\(name)\" (clusters: \(router.clusters.joined(separator: ", ")))")
        }
        return [(name, buffer)]
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
