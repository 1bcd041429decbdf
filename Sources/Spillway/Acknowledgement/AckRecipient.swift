import Synchronization

/// Who is told an acknowledgement: a caller of the single-record `send`, or one
/// slot of a batch. Resumed outside the pipeline's lock, by whichever thread
/// answered (the spool loop, the delivery loop, or the caller itself).
enum AckRecipient: Sendable {
    case single(CheckedContinuation<Acknowledgement, Never>)
    case batch(AckBatch, index: Int)
    /// A function to call (tests of the state alone).
    case callback(@Sendable (Acknowledgement) -> Void)

    func deliver(_ acknowledgement: Acknowledgement) {
        switch self {
        case .single(let continuation): continuation.resume(returning: acknowledgement)
        case .batch(let batch, let index): batch.fill(index, with: acknowledgement)
        case .callback(let call): call(acknowledgement)
        }
    }
}

/// An answer decided under the pipeline's lock, delivered after it is released.
struct AckAnswer: Sendable {
    var recipient: AckRecipient
    var acknowledgement: Acknowledgement

    func deliver() {
        recipient.deliver(acknowledgement)
    }
}

extension Array where Element == AckAnswer {
    /// Resumes every waiter; call it with no lock held. Answers to one batch come
    /// in runs (a committed chunk holds its records together): each run fills the
    /// batch under one lock.
    func deliver() {
        var index = startIndex
        while index < endIndex {
            guard case .batch(let batch, _) = self[index].recipient else {
                self[index].deliver()
                index += 1
                continue
            }
            var run: [(index: Int, acknowledgement: Acknowledgement)] = []
            while index < endIndex, case .batch(let next, let slot) = self[index].recipient, next === batch {
                run.append((slot, self[index].acknowledgement))
                index += 1
            }
            batch.fill(run)
        }
    }
}

/// The answers to one batch `send(_:ack:)` (or a listener's hand-over), gathered
/// slot by slot as they come (from any thread); `completion` is called once, when
/// the last one arrives, by the thread that brought it.
final class AckBatch: Sendable {
    private struct Slots {
        var answers: [Acknowledgement?]
        var missing: Int
        var completion: (@Sendable ([Acknowledgement]) -> Void)?
    }

    private let slots: Mutex<Slots>

    init(count: Int, completion: @escaping @Sendable ([Acknowledgement]) -> Void) {
        slots = Mutex(Slots(answers: Array(repeating: nil, count: count), missing: count, completion: count == 0 ? nil : completion))
        if count == 0 { completion([]) }
    }

    convenience init(count: Int, continuation: CheckedContinuation<[Acknowledgement], Never>) {
        self.init(count: count) { continuation.resume(returning: $0) }
    }

    func fill(_ index: Int, with acknowledgement: Acknowledgement) {
        fill([(index, acknowledgement)])
    }

    func fill(_ answers: [(index: Int, acknowledgement: Acknowledgement)]) {
        let finished = slots.withLock { slots -> (@Sendable ([Acknowledgement]) -> Void, [Acknowledgement])? in
            for (index, acknowledgement) in answers {
                guard slots.answers[index] == nil else {
                    assertionFailure("slot \(index) of a batch answered twice")
                    continue
                }
                slots.answers[index] = acknowledgement
                slots.missing -= 1
            }
            guard slots.missing == 0, let completion = slots.completion else { return nil }
            slots.completion = nil
            return (completion, slots.answers.map { $0! })
        }
        if let (completion, answers) = finished { completion(answers) }
    }
}
