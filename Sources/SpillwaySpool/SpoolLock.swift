#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The writer lock: an exclusive `flock` on `PATH.lock`, holding the owner's pid.
/// The kernel releases it when the process dies, so a crash never leaves a stale lock.
final class SpoolLock {
    let lockPath: String
    /// The lock file's descriptor, -1 once released. Atomic so that `release()`
    /// closes it exactly once even when two threads release at once (an explicit
    /// close racing `deinit`): a second `close` of the same number could hit a
    /// descriptor another thread has opened since.
    private let descriptor: Atomic<Int32>
    /// This lock made `PATH.lock`: if the open fails after all (the file turns out
    /// not to be a spool), `abandon()` removes it instead of leaving litter.
    private let createdFile: Bool

    /// Takes the lock without waiting, or says who holds it.
    init(spoolPath: String) throws(SpoolError) {
        lockPath = spoolPath + ".lock"
        var created = true
        var fd = open(lockPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 && errno == EEXIST {
            created = false
            fd = open(lockPath, O_RDWR | O_CLOEXEC)
        }
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            if errno == EACCES || errno == EPERM || errno == EROFS {
                throw .notWritable(path: spoolPath, detail: "cannot create or open its lock file \(lockPath) (\(reason)); the spool's folder and files must be writable by this user")
            }
            throw .io(path: spoolPath, detail: "cannot open lock file \(lockPath): \(reason)")
        }
        createdFile = created
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = Self.readPID(fd)
            close(fd)
            throw .locked(path: spoolPath, pid: holder)
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        descriptor = Atomic(fd)
    }

    /// Empties the pid file and closes the descriptor, which releases the lock.
    /// Safe to call again and from several threads: only the first call closes.
    func release() {
        let fd = descriptor.exchange(-1, ordering: .acquiringAndReleasing)
        guard fd >= 0 else { return }
        _ = ftruncate(fd, 0)
        close(fd)
    }

    /// Releases the lock after a failed open, removing `PATH.lock` if this lock
    /// created it: nothing is left beside a file that turned out not to be a spool.
    func abandon() {
        guard descriptor.load(ordering: .acquiring) >= 0 else { return }
        if createdFile { unlink(lockPath) }
        release()
    }

    deinit { release() }

    private static func readPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 31, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self).filter(\.isNumber)
        return Int32(text)
    }
}
