import Logging
import Metrics
import ServiceLifecycle
import Spillway

#if canImport(Glibc)
import CMalloc
import Glibc
#endif

/// Hands the heap an outage leaves behind back to the kernel. glibc keeps what
/// a process frees inside its arenas, so once a backlog of tens of thousands of
/// records has passed through the queues, librdkafka and the spool hand-off, an
/// idle sidecar would stay 15–20 MB larger for the rest of its life. Once a
/// second the trimmer reads the process's anonymous resident memory (a file
/// read: no malloc lock); only when that has grown by `threshold` since the
/// last trim does it ask malloc how much it holds free, and trims when that is
/// `threshold` or more. A trim takes each arena's lock in turn, for well under
/// a millisecond in all (BENCHMARKS.md), so it runs at most after such growth.
struct HeapTrimmer: Service {
    /// When to ask malloc and when to trim, apart from the process it runs in.
    struct Policy {
        let threshold: Int
        /// Anonymous resident bytes after the last trim, or the least seen since.
        private(set) var reference: Int?

        init(threshold: Int) {
            self.threshold = threshold
        }

        /// Whether the process grew enough since the last trim for malloc to be asked.
        mutating func shouldAsk(anonymousBytes: Int) -> Bool {
            guard let reference, anonymousBytes >= reference else {
                reference = anonymousBytes
                return false
            }
            return anonymousBytes - reference >= threshold
        }

        /// Whether what malloc holds free is worth a trim.
        func shouldTrim(freeHeldBytes: Int) -> Bool {
            freeHeldBytes >= threshold
        }

        /// Counts from what the process holds after a trim.
        mutating func trimmed(anonymousBytesAfter: Int) {
            reference = anonymousBytesAfter
        }
    }

    let threshold: Int
    let interval: Duration
    let logger: Logger

    /// Whether this process's allocator can be trimmed (glibc on Linux).
    static var isSupported: Bool {
        #if canImport(Glibc)
        true
        #else
        false
        #endif
    }

    init(threshold: Int, interval: Duration = .seconds(1), logger: Logger) {
        self.threshold = threshold
        self.interval = interval
        self.logger = logger
    }

    func run() async throws {
        let returned = Counter(label: MetricCatalog.heapReturned.name)
        returned.increment(by: 0)
        try? await cancelWhenGracefulShutdown {
            var policy = Policy(threshold: threshold)
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                if let bytes = Self.tick(&policy) {
                    returned.increment(by: bytes)
                    logger.debug("returned freed heap to the kernel", metadata: ["bytes": "\(bytes)"])
                }
            }
        }
    }

    /// One look; the bytes a trim handed back, if it trimmed.
    static func tick(_ policy: inout Policy) -> Int? {
        guard let before = anonymousResidentBytes(), policy.shouldAsk(anonymousBytes: before),
              let free = freeHeldBytes(), policy.shouldTrim(freeHeldBytes: free)
        else { return nil }
        trim()
        let after = anonymousResidentBytes() ?? before
        policy.trimmed(anonymousBytesAfter: after)
        return max(0, before - after)
    }

    /// Resident pages not backed by a file (heap, arenas, stacks), from
    /// `/proc/self/statm`: resident minus shared.
    static func anonymousResidentBytes() -> Int? {
        #if canImport(Glibc)
        let descriptor = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        // "size resident shared text lib data dt", in pages.
        let fields = buffer[..<count].split(separator: UInt8(ascii: " ")).prefix(3).map { Int(String(decoding: $0, as: UTF8.self)) }
        guard fields.count == 3, let resident = fields[1], let shared = fields[2] else { return nil }
        return (resident - shared) * sysconf(Int32(_SC_PAGESIZE))
        #else
        return nil
        #endif
    }

    /// Bytes malloc holds free in its arenas (`mallinfo2().fordblks`).
    static func freeHeldBytes() -> Int? {
        #if canImport(Glibc)
        Int(mallinfo2().fordblks)
        #else
        nil
        #endif
    }

    /// Hands free pages in every arena back to the kernel (`malloc_trim(0)`).
    static func trim() {
        #if canImport(Glibc)
        _ = malloc_trim(0)
        #endif
    }
}
