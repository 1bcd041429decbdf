import Foundation

/// Programs and privileges a few tests need beyond Swift: a test that needs one
/// says so, with the reason, as
/// `@Test(.enabled(if: try Prerequisites.hasKcat, "needs kcat: …"))`.
/// On a machine without it the test is reported skipped with that reason
/// instead of failing. CI must never skip them silently, so with
/// `SPILLWAY_REQUIRE_ALL_TESTS=1` (which `.ci/run` sets) a missing
/// prerequisite throws instead, and the test fails naming what is missing.
///
/// Each check really tries (runs the program, mounts in a namespace, protects
/// a file), once per test process.
package enum Prerequisites {
    /// `kcat`, an independent Kafka client (Debian's `kcat`; `tools/setup` installs it).
    package static var hasKcat: Bool { get throws { try kcat.check() } }
    /// A user and mount namespace in which a tmpfs can be mounted (`unshare`), for the full-disk tests.
    package static var canUnshareUserNamespace: Bool { get throws { try userNamespace.check() } }
    /// `promtool` (Debian's `prometheus` package), the Prometheus exposition checker.
    package static var hasPromtool: Bool { get throws { try promtool.check() } }
    /// Files can be made unwritable for this process: by mode bits, or as root by the
    /// file system's immutable flag (`chattr +i`), which the temporary folder's file
    /// system must support. See `WriteProtection`.
    package static var canWriteProtect: Bool { get throws { try writeProtection.check() } }

    /// Where `kcat` is, once `hasKcat` said it runs.
    package static var kcatPath: String { kcat.path ?? "kcat" }
    /// Where `promtool` is, once `hasPromtool` said it runs.
    package static var promtoolPath: String { promtool.path ?? "promtool" }
    /// Where `unshare` is, once `canUnshareUserNamespace` said it works.
    package static var unsharePath: String { userNamespace.path ?? "/usr/bin/unshare" }

    /// `true` when `SPILLWAY_REQUIRE_ALL_TESTS=1`: a missing prerequisite fails instead of skipping.
    package static var requireAll: Bool {
        ProcessInfo.processInfo.environment["SPILLWAY_REQUIRE_ALL_TESTS"] == "1"
    }

    /// A test's prerequisite is missing while `SPILLWAY_REQUIRE_ALL_TESTS=1` forbids skipping.
    package struct Missing: Error, CustomStringConvertible {
        package var description: String
    }

    /// One prerequisite, probed once: `path` is set when it is a program that ran,
    /// `problem` says what is missing.
    package struct Probe: Sendable {
        package var name: String
        package var path: String?
        package var problem: String?

        /// `true` when available; `false` (skip) when not; throws when not and skipping is forbidden.
        package func check() throws -> Bool {
            guard let problem else { return true }
            if Prerequisites.requireAll {
                throw Missing(description: "\(name) is required (SPILLWAY_REQUIRE_ALL_TESTS=1) but \(problem)")
            }
            return false
        }
    }

    package static let kcat = program("kcat", versionArguments: ["-V"])
    package static let promtool = program("promtool", versionArguments: ["--version"])
    package static let userNamespace = probeUserNamespace()
    package static let writeProtection = probeWriteProtection()

    // MARK: Probes

    /// Finds `name` on `PATH` and runs it once.
    private static func program(_ name: String, versionArguments: [String]) -> Probe {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        guard let path = directories.map({ "\($0)/\(name)" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            return Probe(name: name, problem: "\(name) is not on PATH")
        }
        do {
            let result = try ChildProcess.run(path, versionArguments)
            guard result.status == 0 else {
                return Probe(name: name, problem: "`\(path) \(versionArguments.joined(separator: " "))` exited with \(result.status): \(result.stderr.prefix(300))")
            }
        } catch {
            return Probe(name: name, problem: "\(path) cannot be run: \(error)")
        }
        return Probe(name: name, path: path)
    }

    /// Mounts a tiny tmpfs inside a new user and mount namespace, as the full-disk tests do.
    private static func probeUserNamespace() -> Probe {
        let name = "a user namespace (unshare --user --map-root-user --mount)"
        let unshare = ["/usr/bin/unshare", "/bin/unshare"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let unshare else { return Probe(name: name, problem: "unshare is not installed (util-linux)") }
        let directory = TemporaryDirectory("spillway-unshare-probe")
        defer { directory.remove() }
        do {
            let script = #"mount -t tmpfs -o size=64k tmpfs "$1" && touch "$1/probe""#
            let result = try ChildProcess.run(unshare, ["--user", "--map-root-user", "--mount", "/bin/sh", "-c", script, "sh", directory.path])
            guard result.status == 0 else {
                return Probe(name: name, problem: "mounting a tmpfs in one failed (exit \(result.status)): \(result.stderr.prefix(300)); "
                    + "user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone, or a container's seccomp profile)")
            }
        } catch {
            return Probe(name: name, problem: "\(unshare) cannot be run: \(error)")
        }
        return Probe(name: name, path: unshare)
    }

    /// Protects a scratch file the way the tests do, and checks it really became unwritable.
    private static func probeWriteProtection() -> Probe {
        let name = "write protection (mode bits, or as root the immutable flag, chattr +i)"
        let directory = TemporaryDirectory("spillway-protect-probe")
        defer { directory.remove() }
        let file = directory.file("probe")
        guard FileManager.default.createFile(atPath: file, contents: Data("probe".utf8)) else {
            return Probe(name: name, problem: "cannot create \(file)")
        }
        do {
            try WriteProtection.withUnwritableSync([file]) {}
        } catch {
            return Probe(name: name, problem: "the temporary folder \(directory.path) does not allow it: \(error)")
        }
        return Probe(name: name)
    }
}
