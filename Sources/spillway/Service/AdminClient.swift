import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Talks to a running service's admin API, for `status`, `breaker` and `backlog`.
struct AdminClientOptions: ParsableArguments {
    @Option(help: "The admin API's address.") var admin: String = "http://127.0.0.1:8081"
    @Option(help: "Bearer token for the admin API (default: SPILLWAY_ADMIN_TOKEN).") var token: String?

    func request(_ method: String, _ path: String, body: [String: Any]? = nil) async throws -> (status: Int, body: Data) {
        guard let url = URL(string: admin.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path) else {
            throw CLIError("invalid --admin address \(admin)")
        }
        var request = URLRequest(url: url, timeoutInterval: 10)
        request.httpMethod = method
        if let token = token ?? ProcessInfo.processInfo.environment["SPILLWAY_ADMIN_TOKEN"] {
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
        }
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            if status == 401 { throw CLIError("the admin API at \(admin) wants a bearer token: pass --token or set SPILLWAY_ADMIN_TOKEN") }
            if !(200..<300).contains(status) {
                let message = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["error"] as? String ?? String(decoding: data, as: UTF8.self)
                throw CLIError("the admin API answered \(status): \(message)")
            }
            return (status, data)
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("cannot reach the admin API at \(admin): \(error.localizedDescription); is `spillway serve` running?")
        }
    }
}
