/// Topics that go to one named cluster: `{"topics": ["audit.*", "billing"], "cluster": "audit"}`.
public struct TopicRoute: Sendable, Hashable {
    public var topics: [TopicPattern]
    public var cluster: String

    public init(topics: [TopicPattern], cluster: String) {
        self.topics = topics
        self.cluster = cluster
    }
}
