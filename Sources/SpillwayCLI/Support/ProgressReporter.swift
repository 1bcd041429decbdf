import Foundation

/// A progress line on standard error for long exports and imports, redrawn at
/// most ten times a second, and only when standard error is a terminal.
struct ProgressReporter {
    let verb: String
    let total: Int?
    let totalBytes: Int?
    let enabled: Bool
    private let started = Date()
    private var lastDraw = Date.distantPast

    init(verb: String, total: Int? = nil, totalBytes: Int? = nil, enabled: Bool) {
        self.verb = verb
        self.total = total
        self.totalBytes = totalBytes
        self.enabled = enabled && Terminal.isTerminal(STDERR_FILENO)
    }

    /// For work whose total shrinks as it goes: `remaining` records left; shows an ETA.
    mutating func update(_ done: Int, remaining: Int?) {
        guard enabled, Date().timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = Date()
        let elapsed = Date().timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var line = "\r\(verb) \(done) records, \(WholeNumber.format(rate))/s"
        if let remaining, let total, total > 0 {
            let fraction = min(1, Double(done) / Double(total))
            let width = 30
            let filled = Int(fraction * Double(width))
            line = "\r[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] \(Int(fraction * 100))% " + line.dropFirst()
            if rate > 0 { line += ", ETA \(Clock.duration(seconds: Double(remaining) / rate))" }
        }
        FileHandle.standardError.write(Data((line + "   ").utf8))
    }

    mutating func update(_ done: Int, bytesRead: Int? = nil) {
        guard enabled, Date().timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = Date()
        var line = "\r\(verb) \(done)"
        if let total, total > 0 {
            line += "/\(total) records (\(done * 100 / total)%)"
        } else if let totalBytes, totalBytes > 0, let bytesRead {
            line += " records (\(bytesRead * 100 / totalBytes)% of input)"
        } else {
            line += " records"
        }
        let elapsed = Date().timeIntervalSince(started)
        if elapsed > 0 { line += ", \(WholeNumber.format(Double(done) / elapsed))/s" }
        FileHandle.standardError.write(Data((line + "   ").utf8))
    }

    func finish(_ done: Int) {
        guard enabled else { return }
        let elapsed = Date().timeIntervalSince(started)
        FileHandle.standardError.write(Data("\r\(verb) \(done) records in \(String(format: "%.1f", elapsed))s          \n".utf8))
    }
}
