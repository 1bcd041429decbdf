import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Talks to a running service's admin API, for `status`, `breaker` and `backlog`.
struct AdminClientOptions: ParsableArguments {
    @Option(help: "The admin API's address (http://HOST:PORT, or HOST:PORT).") var admin: String = "http://127.0.0.1:8081"

    /// `127.0.0.1:8081` and `localhost:8081` mean http://: nobody types the scheme for a local port.
    var baseURL: String {
        let trimmed = admin.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        return trimmed.contains("://") ? trimmed : "http://" + trimmed
    }

    @Option(help: "Bearer token for the admin API (default: SPILLWAY_ADMIN_TOKEN).") var token: String?

    func request(_ method: String, _ path: String, body: [String: Any]? = nil) async throws -> (status: Int, body: Data) {
        guard let url = URL(string: baseURL + path), url.host != nil else {
            throw CLIError("invalid --admin address \(admin): expected http://HOST:PORT")
        }
        var request = URLRequest(url: url, timeoutInterval: 10)
        request.httpMethod = method
        let bearer = token ?? ProcessInfo.processInfo.environment["SPILLWAY_ADMIN_TOKEN"]
        if let bearer {
            request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization")
        }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
        }
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            if status == 401 {
                throw CLIError(bearer == nil
                    ? "the admin API at \(baseURL) wants a bearer token: pass --token or set SPILLWAY_ADMIN_TOKEN"
                    : "the admin API at \(baseURL) refused the token: check --token or SPILLWAY_ADMIN_TOKEN against the service's admin.token")
            }
            if !(200..<300).contains(status) {
                let message = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["error"] as? String ?? String(decoding: data, as: UTF8.self)
                let hint = status == 404 ? " (is \(baseURL) the admin port, not the ingest port?)" : ""
                throw CLIError("the admin API at \(baseURL) answered \(status): \(message)\(hint)")
            }
            return (status, data)
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("cannot reach the admin API at \(baseURL): \(error.localizedDescription); is `spillway serve` running?")
        }
    }
}
