import Foundation

/// Finds executables SwiftPM built next to the running test bundle.
package enum BuiltProducts {
    package static func path(of product: String) -> String {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        // On Darwin the test runner lives inside a .xctest bundle.
        while !FileManager.default.isExecutableFile(atPath: directory.appending(path: product).path), directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appending(path: product).path
    }
}
