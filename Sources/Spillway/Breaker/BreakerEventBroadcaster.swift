import NIOConcurrencyHelpers

/// Fans breaker events out to any number of subscribers. A slow subscriber
/// loses the oldest events it has not read (bounded buffer), never blocks the delivery loop.
final class BreakerEventBroadcaster: Sendable {
    private let subscribers = NIOLockedValueBox<(nextID: Int, continuations: [Int: AsyncStream<BreakerEvent>.Continuation])>((0, [:]))

    func subscribe() -> AsyncStream<BreakerEvent> {
        let (stream, continuation) = AsyncStream<BreakerEvent>.makeStream(bufferingPolicy: .bufferingNewest(256))
        let id = subscribers.withLockedValue { subscribers in
            subscribers.nextID += 1
            subscribers.continuations[subscribers.nextID] = continuation
            return subscribers.nextID
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLockedValue { $0.continuations.removeValue(forKey: id) }
        }
        return stream
    }

    func publish(_ event: BreakerEvent) {
        let continuations = subscribers.withLockedValue { Array($0.continuations.values) }
        for continuation in continuations { continuation.yield(event) }
    }

    func finish() {
        let continuations = subscribers.withLockedValue { subscribers in
            defer { subscribers.continuations.removeAll() }
            return Array(subscribers.continuations.values)
        }
        for continuation in continuations { continuation.finish() }
    }
}
