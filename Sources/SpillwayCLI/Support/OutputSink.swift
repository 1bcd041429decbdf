import Foundation

/// Standard output or a file, written in chunks.
final class OutputSink {
    private let handle: FileHandle
    let isFile: Bool
    private let path: String?

    init(path: String?) throws {
        self.path = path
        guard let path, path != "-" else {
            handle = FileHandle.standardOutput
            isFile = false
            return
        }
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CLIError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw CLIError("cannot open \(path) for writing")
        }
        self.handle = handle
        isFile = true
    }

    func write(_ text: String) throws {
        do {
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            throw CLIError("cannot write to \(path ?? "standard output"): \(error.localizedDescription)")
        }
    }

    func close() throws {
        guard isFile else { return }
        try handle.synchronize()
        try handle.close()
    }
}
