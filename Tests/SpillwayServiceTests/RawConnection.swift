import Foundation
import Testing
import SpillwayTestKit
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection to a loopback listener, for what HTTP clients will not
/// send: half a request, a body slower than a trickle, bytes the parser refuses.
/// Blocking socket calls run on a thread of their own, never on the test's executor.
final class RawConnection: @unchecked Sendable {
    // Safe to share: `fd` is set once in init; each call is one blocking system call on it.
    private let fd: Int32

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// `fd` is stored only once connected. Swift runs a class's `deinit` when its
    /// initializer throws after every stored property is set: storing the socket
    /// first, closing it on a failed connect and throwing closed it a second time in
    /// `deinit`, by then maybe another thread's descriptor (glibc aborted on its
    /// netlink socket: "Unexpected error 9 on netlink descriptor").
    init(port: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let error = errno
            Glibc.close(fd)
            throw Failure(description: "connect to 127.0.0.1:\(port): errno \(error)")
        }
        self.fd = fd
    }

    deinit {
        Glibc.close(fd)
    }

    /// Sends every byte; false once the peer has closed the connection.
    @discardableResult
    func send(_ text: String) -> Bool {
        send(Array(text.utf8))
    }

    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    /// What arrived until the peer closed the connection or `timeout` passed, and whether it closed.
    func readUntilClosed(timeout: Duration) async -> (text: String, closed: Bool) {
        let (bytes, closed) = await readBytesUntilClosed(timeout: timeout)
        return (String(decoding: bytes, as: UTF8.self), closed)
    }

    /// The bytes that arrived until the peer closed the connection or `timeout` passed, and whether it closed.
    func readBytesUntilClosed(timeout: Duration) async -> (bytes: [UInt8], closed: Bool) {
        await Self.onThread { [self] in
            let deadline = ContinuousClock.now + timeout
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while ContinuousClock.now < deadline {
                let left = deadline - ContinuousClock.now
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&poller, 1, Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)))
                if ready <= 0 { continue }
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count <= 0 { return (received, true) }
                received.append(contentsOf: buffer[0..<count])
            }
            return (received, false)
        }
    }

    /// One Kafka-protocol frame (4-byte size, then that many bytes), or nil when the
    /// connection closed or `timeout` passed first.
    func readKafkaFrame(timeout: Duration) async -> [UInt8]? {
        await Self.onThread { [self] in
            let deadline = ContinuousClock.now + timeout
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while ContinuousClock.now < deadline {
                if received.count >= 4 {
                    let size = Int(received[0..<4].reduce(0) { $0 << 8 | UInt32($1) })
                    if received.count >= 4 + size { return Array(received[4..<(4 + size)]) }
                }
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 50) > 0 else { continue }
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count <= 0 { return nil }
                received.append(contentsOf: buffer[0..<count])
            }
            return nil
        }
    }

    /// Reads one whole response (head, and a body of its `Content-Length`), or what came within `timeout`.
    func readResponse(timeout: Duration) async -> String {
        await Self.onThread { [self] in
            let deadline = ContinuousClock.now + timeout
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while ContinuousClock.now < deadline {
                if let response = Self.completeResponse(received) { return response }
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 50) > 0 else { continue }
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count <= 0 { break }
                received.append(contentsOf: buffer[0..<count])
            }
            return String(decoding: received, as: UTF8.self)
        }
    }

    private static func completeResponse(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return nil }
        let head = text[..<end.lowerBound].lowercased()
        let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        return text.utf8.count - text[..<end.upperBound].utf8.count >= length ? text : nil
    }

    private static func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await offThePool(work)
    }
}

/// The parts of a raw HTTP/1.1 response a test checks.
struct RawResponse {
    var status: Int?
    var headers: [String: String] = [:]
    var body: String = ""

    init(_ text: String) {
        guard let end = text.range(of: "\r\n\r\n") else { return }
        let lines = text[..<end.lowerBound].split(separator: "\r\n")
        status = lines.first.flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) }
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        body = String(text[end.upperBound...])
    }

    /// The body as a JSON object, or nil.
    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
    }

    /// The reason an error answer gives, in the route's shape: a REST Proxy
    /// route's `message` beside its `error_code` (checked to be `restProxyCode`),
    /// a native route's JSON `error`.
    func errorMessage(restProxyCode: Int?, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        if let restProxyCode {
            #expect(json?["error_code"] as? Int == restProxyCode, "answer: \(body)", sourceLocation: sourceLocation)
            return json?["message"] as? String
        }
        #expect(headers["content-type"] == "application/json", "answer: \(body)", sourceLocation: sourceLocation)
        return json?["error"] as? String
    }
}
