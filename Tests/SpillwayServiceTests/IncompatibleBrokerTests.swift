import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
import SpillwayTestKit
import Testing

extension MockKafkaSuites {
    /// A broker the loaded librdkafka cannot speak to: `spillway serve` says so in
    /// plain words in its log, in status and on `/readyz`. The broker is a fake that
    /// answers ApiVersions with the exact reply Tansu 0.6.0 sends, which Debian's
    /// librdkafka 2.0.2 cannot parse and 2.16.1 can; so what is expected depends on
    /// the librdkafka loaded, and CI runs this with both.
    @Suite struct IncompatibleBrokerTests {
        @Test func anUnreadableApiVersionsReplyIsExplainedInLogStatusAndReadyz() async throws {
            let broker = try ReplayingBroker()
            defer { broker.stop() }
            let directory = TemporaryDirectory("spillway-incompatible")
            defer { directory.remove() }
            let port = freeLoopbackPort()
            let adminPort = freeLoopbackPort()
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SPILLWAY_") }
            environment["SPILLWAY_LOG_LEVEL"] = "notice"
            environment["SPILLWAY_SHUTDOWN_DEADLINE_MS"] = "500"
            let logPath = directory.file("serve.log")
            let child = try ChildProcess(
                BuiltProducts.path(of: "spillway"),
                ["serve", "--kafka", "127.0.0.1:\(broker.port)", "--port", "\(port)", "--admin-port", "\(adminPort)", "--spool", directory.file("spool.db")],
                environment: environment, standardErrorFile: logPath
            )
            defer { child.kill(SIGKILL); child.wait() }
            let admin = "http://127.0.0.1:\(adminPort)"
            let version = LoadedLibrdkafka.version

            if LoadedLibrdkafka.isOlderThan2_1 {
                // Debian's 2.0.2: the reply cannot be read. Wait for readyz to say so.
                var budget = PollingBudget(.seconds(30))  // time spent waiting for a thread does not count
                var ready: (Int, String) = (0, "")
                while budget.spend() {
                    // Not ready for other reasons first, perhaps (starting, the spool opening): wait for this one.
                    if let answer = try? await Self.get(admin + "/readyz"), answer.0 == 503, answer.1.contains("kafka incompatible") { ready = answer; break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(ready.0 == 503, "readyz: \(ready)")
                #expect(ready.1.contains("kafka incompatible"))
                #expect(ready.1.contains("librdkafka \(version)"), "names the version loaded: \(ready.1)")
                #expect(ready.1.contains("LD_LIBRARY_PATH"))
                let (_, status) = try await Self.get(admin + "/v1/status")
                #expect(status.contains("librdkafka \(version) can read"), "status lastError: \(status)")
            } else {
                // A newer librdkafka reads the reply and goes on to ask for metadata.
                var budget = PollingBudget(.seconds(30))  // time spent waiting for a thread does not count
                while broker.otherRequests == 0, budget.spend() {
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(broker.otherRequests > 0, "librdkafka \(version) went past ApiVersions")
                // The listener and the spool may still be starting: ready once they are, and never "incompatible".
                var ready: (Int, String) = (0, "")
                while budget.spend() {
                    if let answer = try? await Self.get(admin + "/readyz") {
                        ready = answer
                        if answer.0 == 200 || answer.1.contains("kafka incompatible") { break }
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(ready.0 == 200, "readyz: \(ready)")
                let (_, status) = try await Self.get(admin + "/v1/status")
                #expect(!status.contains("can read (its ApiVersions reply"), "no false alarm: \(status)")
            }
            #expect(broker.apiVersionRequests > 0)
            child.kill(SIGTERM)
            #expect(await child.waitForExit() == 0)
            let log = try String(contentsOfFile: logPath, encoding: .utf8)
            #expect(log.contains("spillway 0.1.0 (librdkafka \(version), SQLite"), "the startup line names the librdkafka loaded: \(log.prefix(500))")
            #expect(log.contains("cannot speak to the Kafka broker") == LoadedLibrdkafka.isOlderThan2_1, "\(log.suffix(2000))")
        }

        static func get(_ url: String) async throws -> (Int, String) {
            let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
            return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
        }
    }
}

/// A loopback "broker" that answers ApiVersions with Tansu 0.6.0's recorded
/// v3 reply and never answers anything else. Blocking sockets, a thread per
/// connection: a test helper, not a server.
final class ReplayingBroker: Sendable {
    /// Tansu 0.6.0's ApiVersions v3 response body after the correlation id (captured from a real broker).
    static let tansuReply: [UInt8] = hexBytes(
        "0000250016000000050000090000000900001d00000003000015000000020000320000000000004500000000000013000000070000000000000b00001e0000000300001a000000040000100000000500000e0000000500004b000000000000330000000000003c0000000100002c0000000100000f00000005000047000000000000200000000400001400000006000001000000110000180000000500001900000004000012000000040000020000000900001c0000000400000c000000040000240000000200000a0000000600000d000000050000110000000100002e000000000000030000000c00002a0000000200000b00000009000008000000090000000000040001010108ffffffffffffffff020101030100"
    )

    let port: Int
    private let listener: Int32
    private let counts = NIOLockedValueBox((apiVersions: 0, other: 0, stopped: false))

    var apiVersionRequests: Int { counts.withLockedValue { $0.apiVersions } }
    var otherRequests: Int { counts.withLockedValue { $0.other } }

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        guard bound == 0, listen(listener, 16) == 0 else { throw MockKafkaError("cannot listen on loopback") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [counts] in
            while true {
                let connection = accept(listener, nil, nil)
                if connection < 0 { return }
                Thread.detachNewThread { Self.serve(connection, counts: counts) }
            }
        }
    }

    func stop() {
        counts.withLockedValue { $0.stopped = true }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private static func serve(_ connection: Int32, counts: NIOLockedValueBox<(apiVersions: Int, other: Int, stopped: Bool)>) {
        defer { close(connection) }
        while !counts.withLockedValue({ $0.stopped }) {
            guard let sizeBytes = readExactly(connection, 4) else { return }
            let size = sizeBytes.reduce(0) { $0 << 8 | Int($1) }
            guard size >= 8, size < 1 << 20, let request = readExactly(connection, size) else { return }
            let apiKey = Int(request[0]) << 8 | Int(request[1])
            let correlation = Array(request[4..<8])
            guard apiKey == 18 else {
                counts.withLockedValue { $0.other += 1 }
                continue
            }
            counts.withLockedValue { $0.apiVersions += 1 }
            let body = correlation + tansuReply
            let framed = withUnsafeBytes(of: UInt32(body.count).bigEndian, Array.init) + body
            _ = framed.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
    }

    private static func readExactly(_ connection: Int32, _ count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { recv(connection, $0.baseAddress! + filled, count - filled, 0) }
            if got <= 0 { return nil }
            filled += got
        }
        return bytes
    }

    private static func hexBytes(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }
}
