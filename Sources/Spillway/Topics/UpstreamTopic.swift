/// What the upstream cluster said of one topic when it was asked.
package enum UpstreamTopic: Sendable, Equatable {
    /// It exists, with this many partitions.
    case partitions(Int32)
    /// It does not exist, and asking did not create it.
    case unknown
    /// The cluster refuses the name.
    case invalid(String)
    /// It exists or is being created, but has no leader yet: ask again shortly.
    case notReady(String)
    /// The cluster could not be asked (down, unreachable, too slow).
    case unanswered(String)
}
