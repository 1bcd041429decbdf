import DequeModule

/// Records waiting for the spool writer, oldest first, kept as a queue of
/// chunks so that a whole queue moves in or out in O(1): when the breaker
/// opens, 100,000 queued records join the hand-off by moving one deque, not by
/// moving each record while `send` waits for the lock.
struct HandoffQueue: Sendable {
    /// Records in order, with their payload bytes summed.
    struct Chunk: Sendable {
        var records = Deque<PendingRecord>()
        var bytes = 0
    }

    private var chunks = Deque<Chunk>()
    private(set) var count = 0
    private(set) var bytes = 0

    /// Records appended one by one join the newest chunk until it holds this many,
    /// so the spool writer still takes them in batches of a useful size.
    private let chunkSize: Int

    init(chunkSize: Int) {
        self.chunkSize = max(1, chunkSize)
    }

    var isEmpty: Bool { count == 0 }

    /// The oldest record, for tests.
    var first: PendingRecord? { chunks.first?.records.first }

    /// Whether the newest record is the one with intake id `id`.
    func contains(newest id: UInt64) -> Bool {
        chunks.last?.records.last?.id == id
    }

    /// Every record, oldest first, for tests: O(n).
    var allRecords: [PendingRecord] { chunks.flatMap(\.records) }

    mutating func append(_ record: PendingRecord) {
        count += 1
        bytes += record.size
        if let last = chunks.indices.last, chunks[last].records.count < chunkSize {
            chunks[last].records.append(record)
            chunks[last].bytes += record.size
        } else {
            var chunk = Chunk()
            chunk.records.reserveCapacity(min(chunkSize, 1024))
            chunk.records.append(record)
            chunk.bytes = record.size
            chunks.append(chunk)
        }
    }

    /// Appends a whole chunk in O(1).
    mutating func append(_ chunk: Chunk) {
        guard !chunk.records.isEmpty else { return }
        count += chunk.records.count
        bytes += chunk.bytes
        chunks.append(chunk)
    }

    mutating func popFirst() -> PendingRecord? {
        guard let index = chunks.indices.first else { return nil }
        let record = chunks[index].records.removeFirst()
        chunks[index].bytes -= record.size
        if chunks[index].records.isEmpty { chunks.removeFirst() }
        count -= 1
        bytes -= record.size
        return record
    }

    /// Takes the oldest chunk whole, in O(1); the spool writer writes it in batches.
    mutating func popFirstChunk() -> Chunk? {
        guard let chunk = chunks.popFirst() else { return nil }
        count -= chunk.records.count
        bytes -= chunk.bytes
        return chunk
    }
}
