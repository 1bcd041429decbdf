import Spillway
import Synchronization

/// The answers to one partition's records handed over in parts: `completion`
/// gets them all, in order, once the last part is answered (from any thread).
final class AnswerParts: Sendable {
    private struct Slots {
        var parts: [[Acknowledgement]?]
        var missing: Int
        var completion: (@Sendable ([Acknowledgement]) -> Void)?
    }

    private let slots: Mutex<Slots>

    init(_ count: Int, completion: @escaping @Sendable ([Acknowledgement]) -> Void) {
        slots = Mutex(Slots(parts: Array(repeating: nil, count: count), missing: count, completion: count == 0 ? nil : completion))
        if count == 0 { completion([]) }
    }

    func fill(_ part: Int, _ answers: [Acknowledgement]) {
        let finished = slots.withLock { slots -> (@Sendable ([Acknowledgement]) -> Void, [Acknowledgement])? in
            guard slots.parts[part] == nil else { return nil }
            slots.parts[part] = answers
            slots.missing -= 1
            guard slots.missing == 0, let completion = slots.completion else { return nil }
            slots.completion = nil
            return (completion, slots.parts.flatMap { $0! })
        }
        if let (completion, answers) = finished { completion(answers) }
    }
}
