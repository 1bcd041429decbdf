import DequeModule

/// Records inside librdkafka, keyed by their opaque id. Ids are handed out in
/// send order and reports mostly come back in that order, so a sliding window
/// over a deque beats a hash table: O(1) insert, lookup and removal, and the
/// oldest records are at the front for the slow-call scan.
struct InFlightWindow {
    /// The instant `InFlightRecord.sentAt` counts from.
    let epoch: ContinuousClock.Instant
    /// Opaque id of `entries.first`; librdkafka turns 0 into a null pointer, so ids start at 1.
    private var base: UInt = 1
    private var entries = Deque<InFlightRecord?>()
    /// Next id to look at in the slow-call scan.
    private var scanFrom: UInt = 1
    private(set) var count = 0
    /// Held more than `reservation` entries since its storage was last fresh.
    private(set) var outgrewReservation = false

    /// Entries a window may keep room for (0.9 MB). One that held more (an
    /// outage's records waiting in librdkafka before the breaker opened: 20,000
    /// at 10,000/s) starts again from empty storage once it empties, as at
    /// start: a ring keeps all of its storage resident while traffic goes round
    /// it, 3.7 MB at 32,768 entries. Large enough that full-speed delivery,
    /// thousands in flight, does not renew and regrow it over and over.
    static let reservation = 8_192

    var isEmpty: Bool { count == 0 }
    /// Entries held, settled ones still behind an unsettled front included:
    /// once every record is settled there are none.
    var heldEntries: Int { entries.count }
    /// The id the next `insert` will return.
    var nextOpaque: UInt { base + UInt(entries.count) }

    init(epoch: ContinuousClock.Instant = .now) {
        self.epoch = epoch
    }

    /// `instant` as a `sentAt` stamp; taken once per batch sent.
    func stamp(_ instant: ContinuousClock.Instant) -> Duration {
        instant - epoch
    }

    /// The instant a `sentAt` stamp stands for.
    func instant(_ stamp: Duration) -> ContinuousClock.Instant {
        epoch + stamp
    }

    mutating func insert(_ origin: InFlightRecord.Origin, sentAt: Duration) -> UInt {
        let opaque = nextOpaque
        entries.append(InFlightRecord(origin: origin, sentAt: sentAt))
        count += 1
        if entries.count > Self.reservation { outgrewReservation = true }
        return opaque
    }

    mutating func remove(_ opaque: UInt) -> InFlightRecord? {
        guard opaque >= base, opaque - base < UInt(entries.count) else { return nil }
        let index = Int(opaque - base)
        // Moved out in place (reading the entry would copy the record, with a
        // retain and a release for each of its buffers).
        guard let record = entries[index].take() else { return nil }
        count -= 1
        // Settled entries leave from the front. Reports come back mostly in
        // order, so the front is usually the one just taken; entries behind it
        // are looked at only when some were settled out of order (the window
        // holds more entries than records).
        if index == 0 {
            repeat {
                entries.removeFirst()
                base += 1
            } while entries.count > count && entries.first! == nil
            if outgrewReservation, entries.isEmpty {
                entries = Deque()
                outgrewReservation = false
            }
        }
        return record
    }

    /// Marks records sent before `cutoff` and not yet counted as slow; returns
    /// how many. Records sent before `notBefore` are skipped (marked, not counted).
    mutating func markSlow(sentBefore cutoff: ContinuousClock.Instant, notBefore: ContinuousClock.Instant) -> Int {
        let (cutoff, notBefore) = (stamp(cutoff), stamp(notBefore))
        scanFrom = max(scanFrom, base)
        var slow = 0
        while scanFrom < nextOpaque {
            let index = Int(scanFrom - base)
            if let record = entries[index] {
                guard record.sentAt < cutoff else { break }
                entries[index]!.countedSlow = true
                if record.sentAt >= notBefore { slow += 1 }
            }
            scanFrom += 1
        }
        return slow
    }

    /// Empties the window, returning what was in it.
    mutating func removeAll() -> [InFlightRecord] {
        let remaining = entries.compactMap { $0 }
        base = nextOpaque
        entries.removeAll()
        outgrewReservation = false
        count = 0
        return remaining
    }
}
