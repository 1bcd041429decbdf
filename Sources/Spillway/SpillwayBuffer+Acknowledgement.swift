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
        value: [UInt8],
        headers: [RecordHeader] = [],
        partition: Int32? = nil,
        ack: AckLevel
    ) async -> Acknowledgement {
        guard ack != .memory else {
            return Acknowledgement(memory: send(topic: topic, key: key, value: value, headers: headers, partition: partition))
        }
        let started = ContinuousClock.now
        var size = Record.payloadSize(topic: topic, key: key, value: value, headers: headers)
        if let rejection = rejection(topic: topic, size: size, partition: partition) {
            core.state.withLockedValue { $0.reject(rejection.code, awaiting: ack, rejection: rejection) }
            return Acknowledgement(disposition: .rejected(rejection), reached: nil)
        }
        var headers = headers
        if let recordIDs { size += stampID(&headers, recordIDs) }
        let record = Record(topic: topic, key: key, value: value, headers: headers, partition: partition, timestamp: WallClock.milliseconds())
        let acknowledgement = await withCheckedContinuation { (continuation: CheckedContinuation<Acknowledgement, Never>) in
            let acceptance = core.state.withLockedValue { state in
                state.accept(record, size: size, awaiting: ack, recipient: .single(continuation), now: started)
            }
            if let answer = acceptance.answer { continuation.resume(returning: answer) }
            wake(delivery: acceptance.wakeDelivery, spool: acceptance.wakeSpool)
        }
        core.metrics.ackWaited(ack, since: started)
        return acknowledgement
    }

    /// Hands a batch over under one lock and waits until every record has reached
    /// `ack` (each is answered on its own; the call returns with the last answer).
    /// Answers come back in order. Bounded as the single form is.
    public func send(_ records: [OutgoingRecord], ack: AckLevel) async -> [Acknowledgement] {
        guard ack != .memory else {
            return send(records).map { Acknowledgement(memory: $0) }
        }
        let started = ContinuousClock.now
        let (accepted, rejections) = prepare(records)
        let acknowledgements = await withCheckedContinuation { (continuation: CheckedContinuation<[Acknowledgement], Never>) in
            let batch = AckBatch(count: records.count, continuation: continuation)
            let (immediate, wakeDelivery, wakeSpool) = core.state.withLockedValue { state in
                var immediate: [(index: Int, answer: Acknowledgement)] = []
                var wakeDelivery = false
                var wakeSpool = false
                for (index, rejection) in rejections {
                    state.reject(rejection.code, awaiting: ack, rejection: rejection)
                    immediate.append((index, Acknowledgement(disposition: .rejected(rejection), reached: nil)))
                }
                for item in accepted {
                    let acceptance = state.accept(item.record, size: item.size, awaiting: ack, recipient: .batch(batch, index: item.index), now: started)
                    if let answer = acceptance.answer { immediate.append((item.index, answer)) }
                    wakeDelivery = wakeDelivery || acceptance.wakeDelivery
                    wakeSpool = wakeSpool || acceptance.wakeSpool
                }
                return (immediate, wakeDelivery, wakeSpool)
            }
            for (index, answer) in immediate { batch.fill(index, with: answer) }
            wake(delivery: wakeDelivery, spool: wakeSpool)
        }
        core.metrics.ackWaited(ack, since: started)
        return acknowledgements
    }

    private func wake(delivery: Bool, spool: Bool) {
        if delivery { core.client.wakeUp() }
        if spool { core.spoolWake.signal() }
    }
}
