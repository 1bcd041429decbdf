import Foundation

/// Reads a file (or standard input) line by line without loading it whole.
/// Lines are bytes, not text: decoding them is the reader's job, so bytes that
/// are not UTF-8 are refused there instead of being replaced here.
final class LineReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false
    private var lineNumber = 0
    private(set) var bytesRead = 0
    /// Size of the input file; `nil` for standard input.
    let totalBytes: Int?

    init(path: String) throws {
        if path == "-" {
            handle = FileHandle.standardInput
            totalBytes = nil
            return
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CLIError("no such file: \(path)")
        }
        guard !isDirectory.boolValue, let handle = FileHandle(forReadingAtPath: path) else {
            throw CLIError("cannot read \(path)")
        }
        self.handle = handle
        totalBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
    }

    /// The next line without its newline, with its 1-based number; `nil` at the end.
    func next() throws -> (Int, [UInt8])? {
        while true {
            if let newline = buffer[position...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[position..<newline])
                bytesRead += newline + 1 - position
                position = newline + 1
                lineNumber += 1
                return (lineNumber, line)
            }
            if atEnd {
                guard position < buffer.count else { return nil }
                let line = Array(buffer[position...])
                bytesRead += buffer.count - position
                position = buffer.count
                lineNumber += 1
                return (lineNumber, line)
            }
            let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            buffer.removeFirst(position)
            position = 0
            if chunk.isEmpty { atEnd = true } else { buffer.append(contentsOf: chunk) }
        }
    }
}
