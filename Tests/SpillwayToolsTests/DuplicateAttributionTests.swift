import SpillwayRehearsal
import Testing

/// The rule the chaos harness fails a run on: every extra copy is explained by
/// a copy marked possibly persisted or by a SIGKILL that found the record in
/// the spool, and copies with different record ids are not Spillway's duplicates.
@Suite struct DuplicateAttributionTests {
    static func copy(offset: Int64, marked: Bool = false, recordID: String? = "a-1") -> TopicFollower.Copy {
        TopicFollower.Copy(partition: 0, offset: offset, readAtMs: 0, timestampMs: nil, markedPossiblyPersisted: marked, recordID: recordID)
    }

    @Test func aMarkedResendExplainsOneExtraCopy() {
        let attribution = DuplicateAttribution([7: [Self.copy(offset: 1), Self.copy(offset: 9, marked: true)]], spooledAtKills: [])
        #expect(attribution.ids == 1)
        #expect(attribution.extraCopies == 1)
        #expect(attribution.byMark == 1)
        #expect(attribution.unexplained.isEmpty)
    }

    @Test func anUnmarkedDuplicateIsUnexplained() {
        let attribution = DuplicateAttribution([7: [Self.copy(offset: 1), Self.copy(offset: 9)]], spooledAtKills: [[8]])
        #expect(attribution.explained == 0)
        #expect(attribution.unexplained.map(\.id) == [7])
    }

    @Test func aKillThatFoundTheRecordSpooledExplainsOneExtraCopy() {
        let twice = [Self.copy(offset: 1), Self.copy(offset: 9)]
        let attribution = DuplicateAttribution([7: twice], spooledAtKills: [[6, 7]])
        #expect(attribution.byKill == 1)
        #expect(attribution.unexplained.isEmpty)

        // Three copies need two explanations: one mark is not enough.
        let thrice = DuplicateAttribution([7: twice + [Self.copy(offset: 12, marked: true)]], spooledAtKills: [])
        #expect(thrice.extraCopies == 2)
        #expect(thrice.unexplained.map(\.id) == [7])
        let explained = DuplicateAttribution([7: twice + [Self.copy(offset: 12, marked: true)]], spooledAtKills: [[7]])
        #expect(explained.byKill == 1)
        #expect(explained.unexplained.isEmpty)
    }

    @Test func differentRecordIDsMeanTheValueWasTakenTwice() {
        let attribution = DuplicateAttribution(
            [7: [Self.copy(offset: 1, recordID: "a-1"), Self.copy(offset: 9, marked: true, recordID: "a-2")]],
            spooledAtKills: [[7]]
        )
        #expect(attribution.unexplained.map(\.id) == [7])
        #expect(attribution.unexplained.first?.why.contains("different record ids") == true)
    }

    @Test func theSummarySaysWhatExplainedEach() {
        let attribution = DuplicateAttribution(
            [1: [Self.copy(offset: 1), Self.copy(offset: 2, marked: true)], 2: [Self.copy(offset: 3), Self.copy(offset: 4)]],
            spooledAtKills: [[2]]
        )
        #expect(attribution.summary == "2 extra copies of 2 ids; attributed: 1 by the possibly-persisted mark, 1 by a replay after SIGKILL, 0 unexplained")
        #expect(DuplicateAttribution([:], spooledAtKills: []).summary == "none")
    }
}
