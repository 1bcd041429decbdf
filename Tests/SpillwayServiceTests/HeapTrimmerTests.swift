@testable import SpillwayService
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `HeapTrimmer`: freed heap goes back to the kernel once the process has grown, and only then.
struct HeapTrimmerTests {
    static let megabyte = 1 << 20

    @Test func itAsksMallocOnlyWhileTheProcessIsLargerThanItsLeastByTheThresholdAndThePipelineIsQuiet() {
        var policy = HeapTrimmer.Policy(threshold: 4 * Self.megabyte)
        func ask(megabytes: Int, records: Int = 0) -> Bool {
            policy.shouldAsk(anonymousBytes: megabytes * Self.megabyte, recordsInMemory: records)
        }
        #expect(!ask(megabytes: 10), "the first look only sets the floor")
        #expect(!ask(megabytes: 13))
        #expect(ask(megabytes: 14))
        #expect(!ask(megabytes: 30, records: HeapTrimmer.Policy.quietRecords), "a backlog in memory: its heap is busy, and large to walk")
        #expect(ask(megabytes: 30, records: HeapTrimmer.Policy.quietRecords - 1))
        #expect(!ask(megabytes: 6), "a smaller process lowers the floor")
        #expect(policy.floor == 6 * Self.megabyte)
        #expect(!ask(megabytes: 9))
        #expect(ask(megabytes: 10))
    }

    @Test func itTrimsWhenMallocHoldsEnoughFreeAndTheProcessGrewOrFreedThatMuchSinceTheLastTrim() {
        var policy = HeapTrimmer.Policy(threshold: 4 * Self.megabyte)
        func trim(anonymous: Int, free: Int, inUse: Int) -> Bool {
            policy.shouldTrim(anonymousBytes: anonymous * Self.megabyte, freeHeldBytes: free * Self.megabyte, inUseBytes: inUse * Self.megabyte)
        }
        #expect(!trim(anonymous: 30, free: 3, inUse: 25), "the growth is live memory: nothing to hand back")
        #expect(!trim(anonymous: 60, free: 21, inUse: 25), "a steady load reuses its free lists")
        #expect(!trim(anonymous: 30, free: 19, inUse: 10))
        #expect(trim(anonymous: 30, free: 20, inUse: 10))
        // Trimmed while 10 MB were still in use.
        policy.trimmed(anonymousBytesAfter: 14 * Self.megabyte, inUseBytes: 10 * Self.megabyte)
        // malloc still counts the trimmed space as free: no trim again for that alone.
        #expect(!trim(anonymous: 14, free: 20, inUse: 10))
        #expect(!trim(anonymous: 17, free: 23, inUse: 7))
        // The rest gone: in use fell by 4 MB without the process growing.
        #expect(trim(anonymous: 14, free: 24, inUse: 6))
        // Or the process grew by 4 MB.
        #expect(trim(anonymous: 18, free: 20, inUse: 10))
    }

    /// What an outage leaves: many records' worth of small allocations freed, with a few
    /// still held between them so glibc cannot give the space back by itself. (When
    /// to trim is the policy's, above: the whole test process's figures are not this
    /// test's to predict.)
    @Test(.enabled(if: HeapTrimmer.isSupported, "trimming needs glibc's malloc (a sanitizer replaces it)"))
    func aTrimHandsTheFreedHeapBackToTheKernel() throws {
        let chunk = 16 << 10
        var chunks: [UnsafeMutableRawPointer] = []
        for _ in 0..<(48 * Self.megabyte / chunk) {
            let pointer = try #require(malloc(chunk))
            memset(pointer, 0x5A, chunk) // resident, not just reserved
            chunks.append(pointer)
        }
        for (index, pointer) in chunks.enumerated() where index % 16 != 0 { free(pointer) }
        defer { for (index, pointer) in chunks.enumerated() where index % 16 == 0 { free(pointer) } }

        let figures = try #require(HeapTrimmer.heapFigures())
        #expect(figures.free >= 40 * Self.megabyte, "the freed chunks stay with malloc: \(figures.free) bytes free")
        let before = try #require(HeapTrimmer.anonymousResidentBytes())
        HeapTrimmer.trim()
        let after = try #require(HeapTrimmer.anonymousResidentBytes())
        // Other tests' threads allocate meanwhile; most of the 45 MB freed still shows.
        #expect(before - after >= 24 * Self.megabyte, "returned \(before - after) bytes")
    }

    @Test func theThresholdIsASettingAndZeroTurnsItOff() async throws {
        #expect(ServiceSettings().heapTrimThreshold == 4 * Self.megabyte)
        let off = try await SettingsLoader.load(file: nil, environment: ["SPILLWAY_HEAP_TRIM_THRESHOLD_BYTES": "0"])
        #expect(off.heapTrimThreshold == 0)
        await #expect { try await SettingsLoader.load(file: nil, environment: ["SPILLWAY_HEAP_TRIM_THRESHOLD_BYTES": "-1"]) } throws: { error in
            "\(error)".contains("heap_trim_threshold_bytes")
        }
    }
}
