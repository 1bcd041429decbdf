import Synchronization

/// Answers gathered slot by slot as they come (from any thread); `completion`
/// gets them all, in slot order, once, from the thread that brings the last.
final class AnswerSlots<Value: Sendable>: Sendable {
    private struct Slots {
        var values: [Value?]
        var missing: Int
        var completion: (@Sendable ([Value]) -> Void)?
    }

    private let slots: Mutex<Slots>

    init(_ count: Int, completion: @escaping @Sendable ([Value]) -> Void) {
        slots = Mutex(Slots(values: Array(repeating: nil, count: count), missing: count, completion: count == 0 ? nil : completion))
        if count == 0 { completion([]) }
    }

    /// The answer for `slot`; a second answer for the same slot is ignored.
    func fill(_ slot: Int, _ value: Value) {
        let finished = slots.withLock { slots -> (@Sendable ([Value]) -> Void, [Value])? in
            guard slots.values[slot] == nil else { return nil }
            slots.values[slot] = value
            slots.missing -= 1
            guard slots.missing == 0, let completion = slots.completion else { return nil }
            slots.completion = nil
            return (completion, slots.values.map { $0! })
        }
        if let (completion, values) = finished { completion(values) }
    }
}
