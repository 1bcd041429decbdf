/// A body the admin API takes. The service refuses a body with a field not in
/// `fieldNames`, or one given twice, as the configuration file does: a decoder
/// would ignore a misspelt field and keep one of two silently.
public protocol AdminRequest: Codable, Sendable {
    /// Every field the body may carry, spelt as on the wire.
    static var fieldNames: [String] { get }
}
