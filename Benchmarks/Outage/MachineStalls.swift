import Foundation

/// The kernel's pressure stall totals (`/proc/pressure/cpu`, `/proc/pressure/memory`):
/// how long tasks waited for a CPU or for memory during a run. On a shared
/// machine they tell a run disturbed by others' work from a slow Spillway.
struct MachineStalls {
    /// Microseconds some task waited for a CPU, and all tasks waited for memory.
    var cpuSome: Int
    var memoryFull: Int

    static var now: MachineStalls {
        MachineStalls(cpuSome: total("cpu", "some"), memoryFull: total("memory", "full"))
    }

    /// What happened since `earlier`, in words.
    func since(_ earlier: MachineStalls) -> String {
        String(format: "machine stalls: CPU %.1f s, memory %.1f s", Double(cpuSome - earlier.cpuSome) / 1e6, Double(memoryFull - earlier.memoryFull) / 1e6)
    }

    private static func total(_ resource: String, _ kind: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/pressure/\(resource)", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(kind + " ") }),
              let field = line.split(separator: " ").first(where: { $0.hasPrefix("total=") }) else { return 0 }
        return Int(field.dropFirst("total=".count)) ?? 0
    }
}
