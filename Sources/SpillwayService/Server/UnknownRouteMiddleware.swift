import HTTPTypes
import Hummingbird

/// Answers what no route takes with a JSON error that says what this listener
/// serves, instead of an empty 404: 405 with `Allow` when the path exists for
/// another method, 422 when only the topic in the path is missing, else 404.
/// Added after the routes, so it wraps only the router's not-found answer.
struct UnknownRouteMiddleware<Context: RequestContext>: RouterMiddleware {
    struct Endpoint: Sendable {
        var method: HTTPRequest.Method
        var path: String
    }

    let endpoints: [Endpoint]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = request.uri.path
            let methods = endpoints.filter { Self.matches($0.path, path, allowEmpty: false) }.map(\.method.rawValue)
            if !methods.isEmpty {
                var response = JSONResponse.error(.methodNotAllowed, "\(request.method.rawValue) is not served at \(path); use \(methods.joined(separator: " or "))")
                response.headers[.allow] = methods.joined(separator: ", ")
                return response
            }
            if endpoints.contains(where: { $0.method == request.method && Self.matches($0.path, path, allowEmpty: true) }) {
                return JSONResponse.error(.unprocessableContent, "invalid topic name \"\": it is empty")
            }
            let served = endpoints.map { "\($0.method.rawValue) \($0.path)" }.joined(separator: ", ")
            return JSONResponse.error(.notFound, "nothing is served at \(path); this listener serves \(served)")
        }
    }

    /// Whether `path` fits `pattern`, where a `:name` segment stands for any segment.
    static func matches(_ pattern: String, _ path: String, allowEmpty: Bool) -> Bool {
        let expected = pattern.split(separator: "/", omittingEmptySubsequences: false)
        let actual = path.split(separator: "/", omittingEmptySubsequences: false)
        guard expected.count == actual.count else { return false }
        return zip(expected, actual).allSatisfy { wanted, got in
            wanted.hasPrefix(":") ? (allowEmpty || !got.isEmpty) : wanted == got
        }
    }
}
