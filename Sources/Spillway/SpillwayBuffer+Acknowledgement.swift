import SpillwaySpool

extension SpillwayBuffer {
    /// Hands one record over and waits, this caller only, until it has reached
    /// `ack`: committed to the spool (`spool`), or acknowledged by Kafka with its
    /// partition and offset (`kafka`; past `ack.timeout`, committed to the spool
    /// instead). Nobody else waits for it: the non-async `send`, other callers and
    /// the pipeline's threads go on. The wait is bounded by `ack.timeout`, and the
    /// number waiting by `ack.maxPendingRecords`/`Bytes` (past them the answer
    /// comes at once, with reason `ack_capacity`). Never throws: invalid input is
    /// `rejected`, a record that could not be kept is `dropped`, with its reason.
    /// Called before `run()`, it waits until the pipeline runs: its threads answer.
    public func send(
        topic: String,
        key: [UInt8]? = nil,
        value: [UInt8]?,
        headers: [RecordHeader] = [],
        partition: Int32? = nil,
        ack: AckLevel
    ) async -> Acknowledgement {
        guard ack != .memory else {
            return Acknowledgement(memory: send(topic: topic, key: key, value: value, headers: headers, partition: partition))
        }
        let started = ContinuousClock.now
        let acknowledgement = await withCheckedContinuation { (continuation: CheckedContinuation<Acknowledgement, Never>) in
            let recipient = AckRecipient.single(continuation)
            if let answer = handOver(topic: topic, key: key, value: value, headers: headers, partition: partition, ack: ack, to: recipient, at: started) {
                recipient.deliver(answer)
            }
        }
        core.metrics.ackWaited(ack, since: started)
        return acknowledgement
    }

    /// Hands one record over for `recipient`, who waits at `ack` (`spool` or
    /// `kafka`): its answer when known at once (refused, dropped, past the waiting
    /// bounds), else `nil`, and `recipient` is told later, once.
    func handOver(
        topic: String, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader], partition: Int32?,
        ack: AckLevel, to recipient: AckRecipient, at started: ContinuousClock.Instant
    ) -> Acknowledgement? {
        switch preparer.prepare(topic: topic, key: key, value: value, headers: headers, partition: partition) {
        case .accepted(let record, let size):
            return core.intake.accept(record, size: size, awaiting: AckRequest(level: ack, recipient: recipient, now: started))
        case .rejected(let rejection):
            core.intake.reject(rejection.code, awaiting: ack, rejection: rejection)
            return Acknowledgement(disposition: .rejected(rejection), reached: nil)
        }
    }

    /// Hands a batch over under one lock and waits until every record has reached
    /// `ack` (each is answered on its own; the call returns with the last answer).
    /// Answers come back in order. Bounded as the single form is.
    public func send(_ records: [OutgoingRecord], ack: AckLevel) async -> [Acknowledgement] {
        guard ack != .memory else {
            return send(records).map { Acknowledgement(memory: $0) }
        }
        let started = ContinuousClock.now
        let prepared = preparer.prepare(records)
        let acknowledgements = await withCheckedContinuation { (continuation: CheckedContinuation<[Acknowledgement], Never>) in
            let batch = AckBatch(count: records.count, continuation: continuation)
            let immediate = core.intake.accept(prepared, awaiting: ack, now: started) { .batch(batch, index: $0) }
            if !immediate.isEmpty { batch.fill(immediate.map { ($0.index, $0.answer) }) }
        }
        core.metrics.ackWaited(ack, since: started)
        return acknowledgements
    }

    /// Hands a batch over whole for a caller that cannot suspend (a network event
    /// loop speaking a protocol whose batches are taken or refused as one, as
    /// Kafka's are): when any record is invalid, none is handed over, and the
    /// whole batch is counted refused under that record's reason. Otherwise
    /// `completion` is called once with every answer in order: at once for
    /// `memory`, else by whichever thread answers last. It must not block (hop to
    /// the caller's own thread, and record the wait there with `noteAckWaited`).
    /// - Returns: the first invalid record's position and why, when nothing was handed over.
    package func handOverWhole(
        _ records: [OutgoingRecord], ack: AckLevel, completion: @escaping @Sendable ([Acknowledgement]) -> Void
    ) -> (index: Int, rejection: Rejection)? {
        let prepared = preparer.prepare(records)
        for (index, item) in prepared.enumerated() {
            if case .rejected(let rejection) = item {
                core.intake.reject(rejection.code, count: records.count)
                return (index, rejection)
            }
        }
        guard ack != .memory else {
            completion(core.intake.accept(prepared).map { Acknowledgement(memory: $0) })
            return nil
        }
        let batch = AckBatch(count: records.count, completion: completion)
        let immediate = core.intake.accept(prepared, awaiting: ack, now: .now) { .batch(batch, index: $0) }
        if !immediate.isEmpty { batch.fill(immediate.map { ($0.index, $0.answer) }) }
        return nil
    }

    /// The upstream cluster's partition counts, asked without blocking.
    package var partitionCatalog: PartitionCatalog { core.partitions }

    /// Records how long a caller of `handOverWhole` waited for its answers, from its own thread.
    package func noteAckWaited(_ level: AckLevel, since started: ContinuousClock.Instant) {
        core.metrics.ackWaited(level, since: started)
    }
}
