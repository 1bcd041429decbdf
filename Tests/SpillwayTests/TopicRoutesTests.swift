import Spillway
import Testing

@Suite struct TopicRoutesTests {
    @Test func globsMatchAsShellGlobsWithStarOnly() throws {
        let cases: [(String, String, Bool)] = [
            ("audit.*", "audit.login", true), ("audit.*", "audit.", true), ("audit.*", "audit", false),
            ("*.metrics", "web.metrics", true), ("*.metrics", "metrics", false), ("a*b*c", "aXbYbc", true),
            ("a*b*c", "abcx", false), ("*", "anything", true), ("billing", "billing", true), ("billing", "billing2", false),
            ("**x", "x", true), ("a*a", "a", false),
        ]
        for (pattern, topic, expected) in cases {
            #expect(try TopicPattern(pattern).matches(topic) == expected, "\(pattern) ~ \(topic)")
        }
    }

    /// `overlaps` against brute force: two patterns overlap exactly when some short
    /// string over their alphabet matches both (patterns of 4 bytes need no witness longer than 8).
    @Test func overlapAgreesWithBruteForce() throws {
        var random = SplitMix64(seed: 20_261_205)
        let alphabet: [Character] = ["a", "b", "-", "*"]
        var strings = [""]
        var frontier = [""]
        for _ in 0..<8 {
            frontier = frontier.flatMap { prefix in ["a", "b", "-"].map { prefix + $0 } }
            strings += frontier
        }
        func pattern() throws -> TopicPattern {
            let length = 1 + Int(random.next() % 4)
            return try TopicPattern(String((0..<length).map { _ in alphabet[Int(random.next() % 4)] }))
        }
        var overlapping = 0
        for _ in 0..<150 {
            let a = try pattern(), b = try pattern()
            let witnessed = strings.contains { a.matches($0) && b.matches($0) }
            #expect(a.overlaps(b) == witnessed, "\(a) and \(b)")
            #expect(b.overlaps(a) == witnessed, "\(b) and \(a)")
            if witnessed { overlapping += 1 }
        }
        // Both answers were exercised.
        #expect(overlapping > 10 && overlapping < 140)
    }

    @Test func topicsGoWhereTheirRouteSaysAndTheRestToDefault() throws {
        let routes = try TopicRoutes([
            TopicRoute(topics: [TopicPattern("audit.*"), TopicPattern("billing")], cluster: "audit"),
            TopicRoute(topics: [TopicPattern("metrics.*")], cluster: "metrics"),
        ], clusters: ["default", "audit", "metrics"])
        #expect(routes.cluster(forTopic: "audit.login") == "audit")
        #expect(routes.cluster(forTopic: "billing") == "audit")
        #expect(routes.cluster(forTopic: "metrics.web") == "metrics")
        #expect(routes.cluster(forTopic: "page-views") == "default")
        #expect(routes.cluster(forTopic: "billing.eu") == "default")
        #expect(routes.globCount == 2)
    }

    @Test func overlappingRoutesToDifferentClustersAreRefusedNamingBoth() throws {
        let error = #expect(throws: SpillwayConfigurationError.self) {
            try TopicRoutes([
                TopicRoute(topics: [TopicPattern("audit.*")], cluster: "audit"),
                TopicRoute(topics: [TopicPattern("*.metrics")], cluster: "metrics"),
            ], clusters: ["default", "audit", "metrics"])
        }
        #expect(error?.description == "\"*.metrics\" (cluster metrics) overlaps \"audit.*\" (cluster audit): a topic may go to one cluster only")
        // The same overlap within one cluster sends no topic two ways.
        _ = try TopicRoutes([
            TopicRoute(topics: [TopicPattern("audit.*"), TopicPattern("audit.login")], cluster: "audit"),
        ], clusters: ["default", "audit"])
    }

    @Test func routesToUnknownClustersAndBadPatternsAreRefused() throws {
        let unknown = #expect(throws: SpillwayConfigurationError.self) {
            try TopicRoutes([TopicRoute(topics: [TopicPattern("x")], cluster: "audti")], clusters: ["default", "audit"])
        }
        #expect(unknown?.description.contains("\"audti\", which is not configured (clusters: audit, default)") == true)
        #expect(throws: SpillwayConfigurationError.self) { try TopicPattern("audit/*") }
        #expect(throws: SpillwayConfigurationError.self) { try TopicPattern("") }
        #expect(throws: SpillwayConfigurationError.self) { try TopicPattern("..") }
        #expect(throws: SpillwayConfigurationError.self) {
            try TopicRoutes([TopicRoute(topics: [], cluster: "audit")], clusters: ["default", "audit"])
        }
        #expect(TopicRoutes.clusterNameProblem("Audit") != nil)
        #expect(TopicRoutes.clusterNameProblem("audit-eu_1") == nil)
    }
}
