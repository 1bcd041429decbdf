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
/// read: no malloc lock). Only while that is `threshold` above the least it has
/// been, and the pipeline holds few records in memory (the backlog has gone
/// through), does it ask malloc for its figures: `mallinfo2` takes each arena's
/// lock in turn and walks its free chunks, 0.06 ms on a quiet heap but up to
/// 7.5 ms under a full queue's hundreds of thousands of chunks (BENCHMARKS.md),
/// time a hand-over could spend waiting. It trims when malloc holds `threshold`
/// free and twice what it has in use (a backlog gone, not a steady load
/// reusing its free lists), and since the last trim the process grew or freed
/// that much.
struct HeapTrimmer: Service {
    /// When to ask malloc and when to trim, apart from the process it runs in.
    struct Policy {
        let threshold: Int
        /// The least anonymous memory seen: the service idle.
        private(set) var floor: Int?
        /// Anonymous bytes and malloc's bytes in use right after the last trim.
        private(set) var lastTrim: (anonymous: Int, inUse: Int)?

        /// Records in memory (queued, in the hand-off, in flight) below which the
        /// pipeline is quiet enough for malloc to be asked.
        static let quietRecords = 1_000

        init(threshold: Int) {
            self.threshold = threshold
        }

        /// Whether malloc may be asked: the process is the threshold above its
        /// least, and the pipeline quiet.
        mutating func shouldAsk(anonymousBytes: Int, recordsInMemory: Int) -> Bool {
            let floor = min(self.floor ?? anonymousBytes, anonymousBytes)
            self.floor = floor
            return anonymousBytes - floor >= threshold && recordsInMemory < Self.quietRecords
        }

        /// Whether a trim would hand back something new: malloc holds enough free,
        /// twice what it has in use, and since the last trim the process grew, or
        /// freed, by the threshold.
        func shouldTrim(anonymousBytes: Int, freeHeldBytes: Int, inUseBytes: Int) -> Bool {
            guard freeHeldBytes >= threshold, freeHeldBytes >= 2 * inUseBytes else { return false }
            guard let lastTrim else { return true }
            return anonymousBytes - lastTrim.anonymous >= threshold || lastTrim.inUse - inUseBytes >= threshold
        }

        /// Counts from what the process holds after a trim.
        mutating func trimmed(anonymousBytesAfter: Int, inUseBytes: Int) {
            lastTrim = (anonymousBytesAfter, inUseBytes)
        }
    }

    let threshold: Int
    let interval: Duration
    /// Records the pipeline holds in memory now, every compartment's.
    let recordsInMemory: @Sendable () -> Int
    let logger: Logger

    /// Whether this process allocates with glibc's malloc, which can be trimmed:
    /// not with another allocator preloaded, or a sanitizer's, whose heap
    /// `mallinfo2` does not see (it reports nothing at all).
    static let isSupported: Bool = {
        #if canImport(Glibc)
        let figures = mallinfo2()
        return figures.arena > 0 || figures.hblkhd > 0
        #else
        false
        #endif
    }()

    init(threshold: Int, interval: Duration = .seconds(1), logger: Logger, recordsInMemory: @escaping @Sendable () -> Int) {
        self.threshold = threshold
        self.interval = interval
        self.logger = logger
        self.recordsInMemory = recordsInMemory
    }

    func run() async throws {
        let returned = Counter(label: MetricCatalog.heapReturned.name)
        returned.increment(by: 0)
        try? await cancelWhenGracefulShutdown {
            var policy = Policy(threshold: threshold)
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                if let bytes = Self.tick(&policy, recordsInMemory: recordsInMemory()) {
                    returned.increment(by: bytes)
                    logger.debug("returned freed heap to the kernel", metadata: ["bytes": "\(bytes)"])
                }
            }
        }
    }

    /// One look; the bytes a trim handed back, if it trimmed.
    static func tick(_ policy: inout Policy, recordsInMemory: Int) -> Int? {
        guard let before = anonymousResidentBytes(), policy.shouldAsk(anonymousBytes: before, recordsInMemory: recordsInMemory),
              let heap = heapFigures(),
              policy.shouldTrim(anonymousBytes: before, freeHeldBytes: heap.free, inUseBytes: heap.inUse)
        else { return nil }
        trim()
        let after = anonymousResidentBytes() ?? before
        policy.trimmed(anonymousBytesAfter: after, inUseBytes: heap.inUse)
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

    /// Bytes malloc holds free in its arenas and bytes in use there
    /// (`mallinfo2().fordblks`, `.uordblks`).
    static func heapFigures() -> (free: Int, inUse: Int)? {
        #if canImport(Glibc)
        let figures = mallinfo2()
        return (Int(figures.fordblks), Int(figures.uordblks))
        #else
        return nil
        #endif
    }

    /// Hands free pages in every arena back to the kernel (`malloc_trim(0)`).
    static func trim() {
        #if canImport(Glibc)
        _ = malloc_trim(0)
        #endif
    }
}
