#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Makes files and folders unwritable for this very process, for tests of what
/// happens on a read-only file or mount. Mode bits alone do not stop root (which
/// CI runs as), so as root on Linux the file system's immutable flag is set
/// instead (`chattr +i`), which binds root too.
package enum WriteProtection {
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    /// Runs `body` with every path in `paths` unwritable, and makes them writable
    /// again afterwards, even when `body` throws. Throws when a path could not be
    /// protected, so a test never passes against a path that was writable all along.
    package static func withUnwritable<T>(_ paths: [String], _ body: () async throws -> T) async throws -> T {
        var done: [String] = []
        defer { for path in done.reversed() { unprotect(path) } }
        for path in paths {
            try protect(path)
            done.append(path)
        }
        return try await body()
    }

    /// Synchronous form of `withUnwritable`.
    package static func withUnwritableSync<T>(_ paths: [String], _ body: () throws -> T) throws -> T {
        var done: [String] = []
        defer { for path in done.reversed() { unprotect(path) } }
        for path in paths {
            try protect(path)
            done.append(path)
        }
        return try body()
    }

    private static func protect(_ path: String) throws {
        if geteuid() == 0 {
            try setImmutable(path, true)
        } else {
            var info = stat()
            guard stat(path, &info) == 0 else { throw Failure(description: "cannot stat \(path)") }
            let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
            guard chmod(path, isDirectory ? 0o555 : 0o444) == 0 else { throw Failure(description: "cannot chmod \(path)") }
        }
        guard access(path, W_OK) != 0 else {
            throw Failure(description: "\(path) is still writable after protecting it (file system without an immutable flag?)")
        }
    }

    private static func unprotect(_ path: String) {
        if geteuid() == 0 {
            try? setImmutable(path, false)
        } else {
            var info = stat()
            guard stat(path, &info) == 0 else { return }
            let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
            _ = chmod(path, isDirectory ? 0o755 : 0o644)
        }
    }

    private static func setImmutable(_ path: String, _ on: Bool) throws {
        #if os(Linux)
        let getFlags: UInt = 0x8008_6601  // FS_IOC_GETFLAGS
        let setFlags: UInt = 0x4008_6602  // FS_IOC_SETFLAGS
        let immutable: Int32 = 0x10  // FS_IMMUTABLE_FL
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var flags: Int32 = 0
        guard ioctl(fd, getFlags, &flags) == 0 else {
            throw Failure(description: "cannot read the flags of \(path): \(String(cString: strerror(errno)))")
        }
        flags = on ? flags | immutable : flags & ~immutable
        guard ioctl(fd, setFlags, &flags) == 0 else {
            throw Failure(description: "cannot set the immutable flag on \(path): \(String(cString: strerror(errno)))")
        }
        #else
        throw Failure(description: "running tests as root here cannot make \(path) read-only; run them as a normal user")
        #endif
    }
}
