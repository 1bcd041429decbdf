/// Every refusal of the admin API: `{"error": "…"}`, with a 4xx or 5xx status.
public struct AdminErrorReply: AdminDocument, Error {
    public var error = ""

    public init() {}

    public init(_ error: String) {
        self.error = error
    }
}
