/// How a command says which clusters it acted on: nothing on a service with
/// one cluster, and on one with several, the one named or, without
/// `--cluster`, that it was every one.
enum ClusterScope {
    static func describe(_ clusters: [String]?, asked: String?) -> String {
        guard let clusters else { return "" }
        if asked != nil { return " on cluster \(clusters.joined(separator: ", "))" }
        return " on every cluster (\(clusters.joined(separator: ", ")); --cluster NAME acts on one)"
    }
}
