// ack-sender: runs a Spillway pipeline in its own process and sends records at an
// acknowledgement level, printing each answer as it comes, so a test can kill it
// with SIGKILL at a known point and check that every answered record survived.
//
//   ack-sender SPOOL BOOTSTRAP TOPIC LEVEL COUNT TIMEOUT_MS
//       Sends COUNT records (values "ack-<i>"), 16 waiting at a time, at LEVEL
//       (memory, spool or kafka), with ack.timeout = TIMEOUT_MS. Prints
//       "ready" once running, then per answer
//       "answered <i> <disposition> <reached|-> <partition|-> <offset|-> <reason|->"
//       and flushes; "done" at the end, then waits to be killed.
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Spillway
import SpillwaySpool
import Synchronization

func fail(_ message: String) -> Never {
    let line = "ack-sender: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(1)
}

let printing = Mutex(())
/// Prints a line and pushes it out at once: the parent reads it to decide when to kill.
func report(_ line: String) {
    printing.withLock { _ in
        print(line)
        fflush(nil)
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 6, let level = AckLevel(rawValue: arguments[3]), let count = Int(arguments[4]), let timeout = Int(arguments[5]) else {
    fail("usage: ack-sender SPOOL BOOTSTRAP TOPIC memory|spool|kafka COUNT TIMEOUT_MS")
}
let topic = arguments[2]
var configuration = SpillwayConfiguration()
configuration.spool = SpoolConfiguration(path: arguments[0], maxBytes: 64 << 20)
configuration.kafka = KafkaConfiguration(
    bootstrapServers: [arguments[1]],
    linger: .milliseconds(2),
    messageTimeout: .seconds(30),
    properties: ["log_level": "0", "reconnect.backoff.max.ms": "200"]
)
configuration.ack = AckConfiguration(timeout: .milliseconds(timeout))
// The breaker never opens on its own: what these records reach is up to the cluster.
var logger = Logger(label: "ack-sender")
logger.logLevel = .error
let buffer: SpillwayBuffer
do {
    buffer = try SpillwayBuffer(configuration: configuration, logger: logger)
} catch {
    fail("\(error)")
}
buffer.setBreakerMode(.forcedClosed)
let running = Task { try await buffer.run() }
while !buffer.status().spoolAvailable { try await Task.sleep(for: .milliseconds(10)) }
report("ready")

await withTaskGroup(of: Void.self) { group in
    for index in 0..<count {
        if index >= 16 { await group.next() }
        group.addTask {
            let answer = await buffer.send(topic: topic, key: Array("k\(index)".utf8), value: Array("ack-\(index)".utf8), ack: level)
            report("answered \(index) \(answer.disposition) \(answer.reached?.rawValue ?? "-") \(answer.partition.map { "\($0)" } ?? "-") \(answer.offset.map { "\($0)" } ?? "-") \(answer.reason?.rawValue ?? "-")")
        }
    }
}
report("done")
_ = running
while true { try await Task.sleep(for: .seconds(60)) }
