/// A document the admin API answers with. Its defaults are what a field reads
/// when a service of another version leaves it out.
public protocol AdminDocument: Codable, Sendable, Equatable {
    init()
}
