import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import SpillwayAdminContract
import SpillwayService

/// Talks to a running service's admin API, for `status`, `top`, `breaker` and
/// `backlog`, in the `AdminContract` types the service itself uses.
struct AdminClientOptions: ParsableArguments {
    @Option(help: "The admin API's address (http://HOST:PORT, or HOST:PORT).") var admin: String = "http://127.0.0.1:8081"

    @Option(help: "Bearer token for the admin API (default: \(SettingsKeys.adminToken.environmentVariable)).") var token: String?

    /// `127.0.0.1:8081` and `localhost:8081` mean http://: nobody types the scheme for a local port.
    var baseURL: String {
        let trimmed = admin.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        return trimmed.contains("://") ? trimmed : "http://" + trimmed
    }

    /// `GET /v1/status`.
    func status() async throws -> AdminStatus {
        try await request("GET", AdminContract.Route.status, body: nil, answer: AdminStatus.self)
    }

    /// `PUT /v1/breaker`.
    func setBreaker(_ command: BreakerRequest) async throws -> BreakerReply {
        try await request("PUT", AdminContract.Route.breaker, body: AdminContract.encoder.encode(command), answer: BreakerReply.self)
    }

    /// `PUT /v1/backlog`.
    func setBacklog(_ command: BacklogRequest) async throws -> AdminStatus.Replay {
        try await request("PUT", AdminContract.Route.backlog, body: AdminContract.encoder.encode(command), answer: AdminStatus.Replay.self)
    }

    /// The raw answer of `GET path`, for `--json`.
    func raw(_ path: String) async throws -> Data {
        try await send("GET", path, body: nil)
    }

    private func request<Answer: AdminDocument>(_ method: String, _ path: String, body: Data?, answer: Answer.Type) async throws -> Answer {
        let data = try await send(method, path, body: body)
        do {
            return try AdminContract.decode(Answer.self, from: data)
        } catch {
            throw CLIError("unexpected answer from the admin API at \(baseURL)\(path): \(error)")
        }
    }

    /// The largest answer read: a status document is a few kB.
    static let maxAnswerBytes = 16 << 20

    private func send(_ method: String, _ path: String, body: Data?) async throws -> Data {
        guard let url = URL(string: baseURL + path), url.host != nil, url.scheme == "http" || url.scheme == "https" else {
            throw CLIError("invalid --admin address \(admin): expected http://HOST:PORT")
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .RAW(value: method)
        let variable = SettingsKeys.adminToken.environmentVariable
        let bearer = token ?? ProcessInfo.processInfo.environment[variable]
        if let bearer {
            request.headers.add(name: "Authorization", value: "Bearer \(bearer)")
        }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let data = Data(try await response.body.collect(upTo: Self.maxAnswerBytes).readableBytesView)
            let status = Int(response.status.code)
            if status == 401 {
                throw CLIError(bearer == nil
                    ? "the admin API at \(baseURL) wants a bearer token: pass --token or set \(variable)"
                    : "the admin API at \(baseURL) refused the token: check --token or \(variable) against the service's \(SettingsKeys.adminToken.name)")
            }
            if !(200..<300).contains(status) {
                let refusal = (try? AdminContract.decode(AdminErrorReply.self, from: data)).map(\.error).flatMap { $0.isEmpty ? nil : $0 }
                let hint = status == 404 ? " (is \(baseURL) the admin port, not the ingest port?)" : ""
                throw CLIError("the admin API at \(baseURL) answered \(status): \(refusal ?? String(decoding: data, as: UTF8.self))\(hint)")
            }
            return data
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("cannot reach the admin API at \(baseURL): \(Self.reason(error)); is `spillway serve` running?")
        }
    }

    /// A connection error in words ("Connection refused"), not NIO's debug description.
    static func reason(_ error: any Error) -> String {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        if let error = error as? HTTPClientError, error == .deadlineExceeded || error == .connectTimeout || error == .readTimeout {
            return "no answer within 10 s"
        }
        return "\(error)"
    }
}
