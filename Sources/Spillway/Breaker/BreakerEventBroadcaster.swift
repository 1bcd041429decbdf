import Synchronization

/// Fans breaker events out to any number of subscribers. A slow subscriber
/// loses the oldest events it has not read (bounded buffer), never blocks the dispatcher.
final class BreakerEventBroadcaster: Sendable {
    private let subscribers = Mutex<[Int: AsyncStream<BreakerEvent>.Continuation]>([:])
    private let nextID = Atomic<Int>(0)

    func subscribe() -> AsyncStream<BreakerEvent> {
        let (stream, continuation) = AsyncStream<BreakerEvent>.makeStream(bufferingPolicy: .bufferingNewest(256))
        let id = nextID.add(1, ordering: .relaxed).newValue
        subscribers.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        return stream
    }

    func publish(_ event: BreakerEvent) {
        let continuations = subscribers.withLock { Array($0.values) }
        for continuation in continuations { continuation.yield(event) }
    }

    func finish() {
        let continuations = subscribers.withLock { subscribers in
            defer { subscribers.removeAll() }
            return Array(subscribers.values)
        }
        for continuation in continuations { continuation.finish() }
    }
}
