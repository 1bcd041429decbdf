import Foundation

/// A child process with its output captured, for tests that exercise binaries
/// as a user would: exit codes, messages, signals.
package final class ChildProcess: @unchecked Sendable {
    // Safe to share: `process` and the pipes are set up in init and then only
    // read; `Process` itself is thread-safe for these calls.
    package let process: Process
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    private let stdinPipe = Pipe()
    private var pendingOutput: [UInt8] = []

    /// - Parameter standardErrorFile: send the child's standard error to this file instead of a pipe,
    ///   for long-running children whose logs nobody reads as they come (a full pipe would block them).
    package init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, standardErrorFile: String? = nil) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = stdoutPipe
        if let standardErrorFile {
            _ = FileManager.default.createFile(atPath: standardErrorFile, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: standardErrorFile)
        } else {
            process.standardError = stderrPipe
        }
        process.standardInput = stdinPipe
        try Self.spawning.withLock { try process.run() }
    }

    /// Held while a child is being started. Between fork and exec a child holds a copy
    /// of every descriptor of this process (close-on-exec ones too), and so keeps any
    /// `flock` this process takes meanwhile; `Process.run()` returns once the child
    /// has exec'd. See `waitForSpawnsInProgress()`.
    private static let spawning = NSLock()

    /// Returns once no child is between fork and exec any more. A test that releases a
    /// lock in this process and then has a child take it calls this in between: a
    /// child another test was starting at that moment could still hold the lock's
    /// descriptor, and the lock with it ("spool … is locked by another process").
    package static func waitForSpawnsInProgress() {
        spawning.withLock {}
    }

    /// Runs to completion and returns the exit status and both outputs.
    package static func run(_ executable: String, _ arguments: [String], input: Data? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let child = try ChildProcess(executable, arguments)
        if let input { child.stdinPipe.fileHandleForWriting.write(input) }
        try child.stdinPipe.fileHandleForWriting.close()
        // Read both pipes fully before waiting, so a chatty child cannot block on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var errorData = Data()
        DispatchQueue.global().async(group: group) {
            errorData = child.stderrPipe.fileHandleForReading.readDataToEndOfFile()
        }
        let outputData = child.stdoutPipe.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        child.process.waitUntilExit()
        return (child.process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self))
    }

    /// `run` on a thread of its own, for async tests: it blocks until the child exits.
    package static func runOffThePool(_ executable: String, _ arguments: [String], input: Data? = nil) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await offThePool { try run(executable, arguments, input: input) }
    }

    /// `readLine()` on a thread of its own, for async tests: it blocks until the child writes.
    package func nextLine() async -> String? {
        await offThePool { self.readLine() }
    }

    /// `wait()` on a thread of its own, for async tests: it blocks until the child exits.
    @discardableResult
    package func waitForExit() async -> Int32 {
        await offThePool { self.wait() }
    }

    /// The next line of standard output, or `nil` at its end.
    package func readLine() -> String? {
        while true {
            if let newline = pendingOutput.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pendingOutput[..<newline], as: UTF8.self)
                pendingOutput.removeFirst(newline + 1)
                return line
            }
            let chunk = stdoutPipe.fileHandleForReading.availableData
            if chunk.isEmpty {
                guard !pendingOutput.isEmpty else { return nil }
                defer { pendingOutput.removeAll() }
                return String(decoding: pendingOutput, as: UTF8.self)
            }
            pendingOutput.append(contentsOf: chunk)
        }
    }

    /// Writes to the child's standard input.
    package func write(_ text: String) {
        stdinPipe.fileHandleForWriting.write(Data(text.utf8))
    }

    /// Signals the child, unless it has already exited (its pid may be someone else's by now).
    package func kill(_ signal: Int32) {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, signal)
    }

    /// Waits for exit; returns the exit status, or the signal for a killed child.
    @discardableResult
    package func wait() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Everything the child wrote to standard error; waits until the child closes
    /// it (at exit), so ask a child still running for `stopAndReadStandardError()`.
    package var standardError: String {
        String(decoding: stderrPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    /// Kills the child if it still runs, then reads its standard error: for a
    /// failure message about a service that is still up, which would otherwise
    /// keep the pipe open and the test waiting forever.
    package func stopAndReadStandardError() -> String {
        kill(SIGKILL)
        wait()
        return standardError
    }
}
