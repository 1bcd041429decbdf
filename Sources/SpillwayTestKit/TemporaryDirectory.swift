import Foundation

/// A fresh directory for one test, removed by `remove()`.
package struct TemporaryDirectory: Sendable {
    package let path: String

    package init(_ label: String = "spillway-test") {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/\(label)-\(getpid())-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// A path inside the directory.
    package func file(_ name: String) -> String {
        "\(path)/\(name)"
    }

    package func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
