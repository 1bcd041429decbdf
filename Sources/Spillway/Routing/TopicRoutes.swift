/// Which cluster each topic goes to: exact names and `*` globs, each topic to
/// exactly one cluster, anything unrouted to the default one. Routes that could
/// send one topic two ways are refused when the table is built, so the order
/// of the routes never decides anything.
public struct TopicRoutes: Sendable {
    /// The cluster unrouted topics go to; the `kafka.*` settings describe it.
    public static let defaultCluster = "default"

    public let routes: [TopicRoute]
    private let exact: [String: String]
    private let globs: [(pattern: TopicPattern, cluster: String)]

    /// Every topic to `default`.
    public init() {
        routes = []
        exact = [:]
        globs = []
    }

    /// - Parameter clusters: the clusters there are; a route to any other is refused.
    public init(_ routes: [TopicRoute], clusters: Set<String>) throws(SpillwayConfigurationError) {
        var exact: [String: String] = [:]
        var globs: [(pattern: TopicPattern, cluster: String)] = []
        var seen: [(pattern: TopicPattern, cluster: String)] = []
        for route in routes {
            guard clusters.contains(route.cluster) else {
                throw SpillwayConfigurationError("a route names cluster \"\(route.cluster)\", which is not configured (clusters: \(clusters.sorted().joined(separator: ", ")))")
            }
            guard !route.topics.isEmpty else { throw SpillwayConfigurationError("the route to cluster \"\(route.cluster)\" lists no topics") }
            for pattern in route.topics {
                if let clash = seen.first(where: { $0.cluster != route.cluster && $0.pattern.overlaps(pattern) }) {
                    throw SpillwayConfigurationError(
                        "\"\(pattern)\" (cluster \(route.cluster)) overlaps \"\(clash.pattern)\" (cluster \(clash.cluster)): a topic may go to one cluster only"
                    )
                }
                seen.append((pattern, route.cluster))
                if pattern.isExact {
                    exact[pattern.description] = route.cluster
                } else {
                    globs.append((pattern, route.cluster))
                }
            }
        }
        self.routes = routes
        self.exact = exact
        self.globs = globs
    }

    /// Whether every topic goes to `default`.
    public var isEmpty: Bool { routes.isEmpty }

    /// How many globs `cluster(forTopic:)` may scan: none means a lookup only.
    public var globCount: Int { globs.count }

    /// The cluster `topic` goes to: a dictionary lookup for exact names, then a
    /// scan of the globs (cache the answer: `SpillwayRouter` does).
    public func cluster(forTopic topic: String) -> String {
        if let cluster = exact[topic] { return cluster }
        for glob in globs where glob.pattern.matches(topic) { return glob.cluster }
        return Self.defaultCluster
    }

    /// What is wrong with `name` as a cluster's name, or `nil`: it is a
    /// configuration key, a metrics label and a file name, so it is kept plain.
    public static func clusterNameProblem(_ name: String) -> String? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_-".utf8)
        if name.isEmpty || name.utf8.count > 64 || !name.utf8.allSatisfy(allowed.contains) {
            return "must be 1 to 64 lowercase letters, digits, '_' or '-'"
        }
        return nil
    }
}
