@testable import SpillwayService
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `HeapTrimmer`: freed heap goes back to the kernel once the process has grown, and only then.
struct HeapTrimmerTests {
    static let megabyte = 1 << 20

    @Test func itAsksMallocOnlyAfterTheProcessGrewByTheThresholdSinceItsLastTrim() {
        var policy = HeapTrimmer.Policy(threshold: 4 * Self.megabyte)
        func ask(megabytes: Int) -> Bool { policy.shouldAsk(anonymousBytes: megabytes * Self.megabyte) }
        #expect(!ask(megabytes: 10), "the first look only sets where growth counts from")
        #expect(!ask(megabytes: 13))
        #expect(ask(megabytes: 14))
        // Malloc holds less than the threshold free: the growth is live memory, no trim;
        // it is asked again at the next look while the process stays that large.
        #expect(!policy.shouldTrim(freeHeldBytes: 4 * Self.megabyte - 1))
        #expect(ask(megabytes: 20))
        #expect(policy.shouldTrim(freeHeldBytes: 9 * Self.megabyte))
        policy.trimmed(anonymousBytesAfter: 12 * Self.megabyte)
        #expect(!ask(megabytes: 15), "growth counts from what the trim left")
        #expect(ask(megabytes: 16))
        // A process that shrank by itself counts from its new size.
        #expect(!ask(megabytes: 6))
        #expect(policy.reference == 6 * Self.megabyte)
        #expect(!ask(megabytes: 9))
        #expect(ask(megabytes: 10))
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

        let freeHeld = try #require(HeapTrimmer.freeHeldBytes())
        #expect(freeHeld >= 40 * Self.megabyte, "the freed chunks stay with malloc: \(freeHeld) bytes free")
        let trimmed = HeapTrimmer.tick(&policy)
        let returned = try #require(trimmed, "grown by about 48 MB with 45 MB free: a trim")
        // Other tests' threads allocate meanwhile; most of the 45 MB freed still shows.
        #expect(returned >= 24 * Self.megabyte, "returned \(returned) bytes")
        let again = HeapTrimmer.tick(&policy)
        #expect(again == nil, "nothing grew since: no second trim")
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
