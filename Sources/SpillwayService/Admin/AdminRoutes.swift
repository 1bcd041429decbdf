import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix
import Spillway
import SpillwaySpool

/// The admin listener: status, breaker and backlog control, spool statistics, metrics.
struct AdminRoutes: Sendable {
    let buffer: SpillwayBuffer
    let settings: ServiceSettings
    /// Renders the Prometheus text exposition.
    let metrics: @Sendable () -> String

    struct BreakerCommand: Decodable {
        var mode: BreakerMode
    }

    struct BacklogCommand: Decodable {
        var paused: Bool?
        var recordsPerSecond: Double?
        var bytesPerSecond: Double?

        enum CodingKeys: String, CodingKey {
            case paused
            case recordsPerSecond = "records_per_second"
            case bytesPerSecond = "bytes_per_second"
        }
    }

    /// What `register` adds, for the answer to a request no route takes.
    static let endpoints: [UnknownRouteMiddleware<BasicRequestContext>.Endpoint] = [
        .init(method: .get, path: "/v1/status"), .init(method: .put, path: "/v1/breaker"), .init(method: .put, path: "/v1/backlog"),
        .init(method: .get, path: "/v1/spool"), .init(method: .get, path: "/metrics"),
    ]

    func register(on router: Router<BasicRequestContext>) {
        router.get("/v1/status") { _, _ in
            JSONResponse.make(.ok, StatusDocument(buffer.status(), configuration: buffer.configuration))
        }
        router.put("/v1/breaker") { request, _ in
            do {
                let command = try await decode(BreakerCommand.self, request)
                buffer.setBreakerMode(command.mode)
                return JSONResponse.make(.ok, ["mode": command.mode.rawValue])
            } catch let error as AdminError {
                return JSONResponse.error(.badRequest, error.message + " (expected {\"mode\": \"open\" | \"closed\" | \"auto\"})")
            }
        }
        router.put("/v1/backlog") { request, _ in
            do {
                let command = try await decode(BacklogCommand.self, request)
                if command.recordsPerSecond != nil || command.bytesPerSecond != nil {
                    try buffer.setReplayRate(recordsPerSecond: command.recordsPerSecond, bytesPerSecond: command.bytesPerSecond)
                }
                switch command.paused {
                case true?: buffer.pauseReplay()
                case false?: buffer.resumeReplay()
                case nil: break
                }
                return JSONResponse.make(.ok, StatusDocument(buffer.status()).replay)
            } catch let error as AdminError {
                return JSONResponse.error(.badRequest, error.message)
            } catch let error as SpillwayConfigurationError {
                return JSONResponse.error(.badRequest, error.description)
            }
        }
        router.get("/v1/spool") { _, _ in
            let path = settings.pipeline.spool.path
            do {
                // A read-only connection beside the writer; scanning is blocking work, off the event loop.
                let statistics = try await NIOThreadPool.singleton.runIfActive {
                    try Spool.openForInspection(path: path, integrityCheck: .skip).statistics()
                }
                return JSONResponse.make(.ok, statistics)
            } catch {
                return JSONResponse.error(.serviceUnavailable, "\(error)")
            }
        }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: metrics())))
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: 64 * 1024)
        } catch {
            throw AdminError(message: "request body is over 64 KiB")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch let error as DecodingError {
            throw AdminError(message: error.clientDescription)
        } catch {
            throw AdminError(message: "malformed JSON")
        }
    }
}

struct AdminError: Error {
    var message: String
}
