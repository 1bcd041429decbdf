import Foundation
import HTTPTypes
import Hummingbird

/// Requires `Authorization: Bearer TOKEN` on every admin route but the health checks.
/// The scheme is matched case-insensitively (RFC 7235: `bearer` is `Bearer`).
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String
    static var openPaths: Set<String> { ["/healthz", "/readyz"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.openPaths.contains(request.uri.path) {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization], let given = Self.bearerToken(in: header),
              constantTimeEquals(given, token) else {
            var response = JSONResponse.error(.unauthorized, "missing or wrong bearer token")
            response.headers[.wwwAuthenticate] = "Bearer realm=\"spillway-admin\""
            return response
        }
        return try await next(request, context)
    }

    /// The credentials of a `Bearer` authorization, whatever the scheme's case.
    static func bearerToken(in header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }

    /// Compares without an early exit, so timing does not reveal the token.
    private func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
