@testable import SpillwayService
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `HeapTrimmer`: freed heap goes back to the kernel once the process has grown, and only then.
struct HeapTrimmerTests {
    static let megabyte = 1 << 20

    @Test func itAsksMallocOnlyWhileTheProcessIsLargerThanItsLeastByTheThreshold() {
        var policy = HeapTrimmer.Policy(threshold: 4 * Self.megabyte)
        func ask(megabytes: Int) -> Bool { policy.shouldAsk(anonymousBytes: megabytes * Self.megabyte) }
        #expect(!ask(megabytes: 10), "the first look only sets the floor")
        #expect(!ask(megabytes: 13))
        #expect(ask(megabytes: 14))
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
        #expect(trim(anonymous: 30, free: 9, inUse: 20))
        // Mid-outage: trimmed while 20 MB are still in use.
        policy.trimmed(anonymousBytesAfter: 22 * Self.megabyte, inUseBytes: 20 * Self.megabyte)
        // malloc still counts the trimmed space as free: no trim again for that alone.
        #expect(!trim(anonymous: 22, free: 9, inUse: 20))
        #expect(!trim(anonymous: 25, free: 9, inUse: 17))
        // The backlog gone: in use fell by 4 MB without the process growing.
        #expect(trim(anonymous: 22, free: 13, inUse: 16))
        // Or the process grew by 4 MB.
        #expect(trim(anonymous: 26, free: 9, inUse: 20))
    }

    /// What an outage leaves: many records' worth of small allocations freed, with a few
    /// still held between them so glibc cannot give the space back by itself.
    @Test(.enabled(if: HeapTrimmer.isSupported, "trimming needs glibc"))
    func aTrimHandsTheFreedHeapBackToTheKernel() throws {
        var policy = HeapTrimmer.Policy(threshold: 4 * Self.megabyte)
        _ = HeapTrimmer.tick(&policy) // where growth counts from
        let chunk = 16 << 10
        var chunks: [UnsafeMutableRawPointer] = []
        for _ in 0..<(48 * Self.megabyte / chunk) {
            let pointer = try #require(malloc(chunk))
            memset(pointer, 0x5A, chunk) // resident, not just reserved
            chunks.append(pointer)
        }
        for (index, pointer) in chunks.enumerated() where index % 16 != 0 { free(pointer) }
        defer { for (index, pointer) in chunks.enumerated() where index % 16 == 0 { free(pointer) } }

        let freeHeld = try #require(HeapTrimmer.heapFigures()).free
        #expect(freeHeld >= 40 * Self.megabyte, "the freed chunks stay with malloc: \(freeHeld) bytes free")
        let trimmed = HeapTrimmer.tick(&policy)
        let returned = try #require(trimmed, "grown by about 48 MB with 45 MB free: a trim")
        // Other tests' threads allocate meanwhile; most of the 45 MB freed still shows.
        #expect(returned >= 24 * Self.megabyte, "returned \(returned) bytes")
        let again = HeapTrimmer.tick(&policy)
        #expect(again == nil, "nothing grew or was freed since: no second trim")
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
