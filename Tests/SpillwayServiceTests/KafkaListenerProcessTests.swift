import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SpillwayTestKit
import Testing

extension MockKafkaSuites {
    /// The real `spillway serve` with its Kafka listener, killed in the middle of
    /// an idempotent producer's run and started again on the same spool and ports.
    @Suite struct KafkaListenerProcessTests {
        /// - Parameter unprivileged: run it without network privileges, as a
        ///   service user runs it: when the tests run as root, in a user namespace
        ///   of its own (root there holds no capability over the host's network).
        static func start(cluster: MockKafkaCluster, spool: String, ports: (http: Int, admin: Int, kafka: Int), unprivileged: Bool = false) throws -> ChildProcess {
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SPILLWAY_") }
            environment["SPILLWAY_KAFKA_MESSAGE_TIMEOUT_MS"] = "5000"
            environment["SPILLWAY_LOG_LEVEL"] = "warning"
            let serve = [
                "serve", "--kafka", cluster.bootstrapServers, "--port", "\(ports.http)", "--admin-port", "\(ports.admin)",
                "--kafka-port", "\(ports.kafka)", "--spool", spool,
            ]
            let binary = BuiltProducts.path(of: "spillway")
            if unprivileged, geteuid() == 0 {
                return try ChildProcess("/usr/bin/unshare", ["--user", "--map-root-user", binary] + serve, environment: environment)
            }
            return try ChildProcess(binary, serve, environment: environment)
        }

        /// A service run by a user without `CAP_NET_ADMIN` (every service user)
        /// answers Kafka clients: the listener once set TCP_NODELAY's number at the
        /// socket level, which is SO_DEBUG, refused without that capability, and
        /// NIO closed every connection it accepted (CI runs as root and missed it).
        @Test func aServiceWithoutNetworkPrivilegesAnswersKafkaClients() async throws {
            let cluster = try MockKafkaCluster()
            try cluster.createTopic("plain", partitions: 1)
            let directory = TemporaryDirectory("spillway-kafka-unprivileged")
            defer { directory.remove() }
            let ports = (http: freeLoopbackPort(), admin: freeLoopbackPort(), kafka: freeLoopbackPort())
            let child = try Self.start(cluster: cluster, spool: directory.file("spool.db"), ports: ports, unprivileged: true)
            defer { child.kill(SIGKILL); _ = child.wait() }
            try await Self.waitUntil("the service to answer", admin: ports.admin, child: child) { _ in true }

            let sent = (0..<10).map { ProducedRecord(value: Array("plain-\($0)".utf8)) }
            let reports = try await KafkaTestProducer.produce(
                sent, to: "plain", bootstrapServers: "127.0.0.1:\(ports.kafka)", properties: ["acks": "all", "message.timeout.ms": "30000"]
            )
            let failed = reports.compactMap(\.error)
            if !failed.isEmpty { Issue.record("\(failed.count) of 10 not delivered (\(Set(failed))): \(child.stopAndReadStandardError().suffix(2000))") }
        }

        /// The admin status's ledger, or nil while the service does not answer.
        static func delivered(admin: Int) async -> Int? {
            guard let (data, _) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(admin)/v1/status")!),
                  let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let ledger = document["ledger"] as? [String: Any] else { return nil }
            return ledger["delivered"] as? Int
        }

        @discardableResult
        static func waitUntil(_ what: String, admin: Int, child: ChildProcess, _ condition: (Int) -> Bool) async throws -> Int {
            var budget = PollingBudget(.seconds(60))
            while budget.spend() {
                if let delivered = await delivered(admin: admin), condition(delivered) { return delivered }
                try await Task.sleep(for: .milliseconds(50))
            }
            Issue.record("gave up waiting for \(what): \(child.stopAndReadStandardError())")
            throw CancellationError()
        }

        @Test func anIdempotentProducerGoesOnAcrossSIGKILLAndLosesNothingItWasToldWasKept() async throws {
            let cluster = try MockKafkaCluster()
            try cluster.createTopic("crash", partitions: 2)
            let directory = TemporaryDirectory("spillway-kafka-kill")
            defer { directory.remove() }
            let ports = (http: freeLoopbackPort(), admin: freeLoopbackPort(), kafka: freeLoopbackPort())
            var child = try Self.start(cluster: cluster, spool: directory.file("spool.db"), ports: ports)
            defer { child.kill(SIGKILL); _ = child.wait() }
            try await Self.waitUntil("the first start", admin: ports.admin, child: child) { _ in true }

            let sent = (0..<20_000).map { ProducedRecord(key: Array("k\($0 % 97)".utf8), value: Array("crash-\($0)".utf8)) }
            let producing = Task {
                try await KafkaTestProducer.produce(
                    sent, to: "crash", bootstrapServers: "127.0.0.1:\(ports.kafka)",
                    properties: [
                        "enable.idempotence": "true", "acks": "all", "linger.ms": "20", "batch.num.messages": "100",
                        "message.timeout.ms": "120000", "reconnect.backoff.max.ms": "200",
                    ],
                    timeout: .seconds(180)
                )
            }
            // Mid-run: some records are in Kafka, others on their way.
            let deliveredBeforeTheKill = try await Self.waitUntil("records delivered before the kill", admin: ports.admin, child: child) { $0 >= 300 }
            child.kill(SIGKILL)
            #expect(deliveredBeforeTheKill < sent.count, "killed in the middle of the run")
            #expect(await child.waitForExit() != 0)
            child = try Self.start(cluster: cluster, spool: directory.file("spool.db"), ports: ports)

            let reports = try await producing.value
            let told = zip(sent, reports).filter { $0.1.error == nil }.map { String(decoding: $0.0.value ?? [], as: UTF8.self) }
            // The client recovered by itself: every record was answered a success in the end.
            #expect(told.count == sent.count, "errors: \(Dictionary(grouping: reports.compactMap(\.error), by: { $0 }).mapValues(\.count))")
            try await Self.waitUntil("everything delivered after the restart", admin: ports.admin, child: child) { _ in true }
            var arrived: Set<String> = []
            var budget = PollingBudget(.seconds(60))
            repeat {
                arrived = Set(try await KafkaTopicReader.read(bootstrapServers: cluster.bootstrapServers, topic: "crash").map { String(decoding: $0.value ?? [], as: UTF8.self) })
                if arrived.isSuperset(of: told) { break }
                try await Task.sleep(for: .milliseconds(200))
            } while budget.spend()
            let lost = Set(told).subtracting(arrived)
            #expect(lost.isEmpty, "\(lost.count) records the producer was told were kept are not in Kafka: \(lost.sorted().prefix(10))")
        }
    }
}
