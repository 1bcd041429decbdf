import HTTPTypes
import Hummingbird
import NIOCore

/// Refuses a body sent in a coding Spillway does not decode, before any route
/// reads it; otherwise the coded bytes would be stored as a record's value. A
/// transfer coding other than `chunked` is answered 501 (RFC 9112 §6.1: a coding
/// the server does not implement) and a content coding other than `identity` 415
/// (RFC 9110 §15.5.16), each naming the coding, in the listener's error shape.
/// Hummingbird then reads past the body (its framing is sound), so the connection
/// serves the next request.
struct BodyCodingMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The listener's refusal: (status, message, request path) → (content type, JSON).
    let refusal: @Sendable (HTTPResponse.Status, String, String?) -> (contentType: String, body: ByteBuffer)

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let coding = Self.codings(request.headers[values: .transferEncoding]).first(where: { $0 != "chunked" }) {
            return refuse(
                .notImplemented, "transfer coding \"\(coding)\" is not supported: send the body as it is, with Content-Length or Transfer-Encoding: chunked",
                request
            )
        }
        // A request without a body (a health check, say) has nothing coded, whatever it says.
        if Self.hasBody(request), let coding = Self.codings(request.headers[values: .contentEncoding]).first(where: { $0 != "identity" }) {
            return refuse(
                .unsupportedMediaType, "content coding \"\(coding)\" is not supported: send the body uncompressed (a record's bytes are kept as they are sent)",
                request
            )
        }
        return try await next(request, context)
    }

    /// The codings a header lists, in order, lowercased (coding names are case-insensitive), without parameters.
    static func codings(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",") }
            .compactMap { $0.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() }
            .filter { !$0.isEmpty }
            .map { String($0.prefix(100)) }
    }

    /// Whether the request's head announces a body: chunked, or a `Content-Length` other than 0.
    static func hasBody(_ request: Request) -> Bool {
        request.headers[.transferEncoding] != nil || request.headers[.contentLength].map { $0 != "0" } == true
    }

    private func refuse(_ status: HTTPResponse.Status, _ message: String, _ request: Request) -> Response {
        let (contentType, body) = refusal(status, message, request.uri.path)
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
    }
}
