import Foundation
import SpillwayRehearsal
import SpillwayTestKit

/// The interop profile: a real, independent broker behind `spillway-fault-proxy`.
extension Rehearsal {
    /// Seconds each interop phase lasts: outages of 10 s, recoveries of 6 s.
    static let outage: Duration = .seconds(10)
    static let recovery: Duration = .seconds(6)

    mutating func runThroughProxy(broker: String, proxyPort: Int, brokerPid: Int32?, label: String) async throws -> Bool {
        let started = ContinuousClock.now
        let tools = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        let proxy = try ChildProcess(tools + "/spillway-fault-proxy", ["--route", "\(proxyPort)=\(broker)"])
        defer { proxy.kill(SIGTERM); proxy.wait() }
        while let line = proxy.readLine(), line != "ready" {
            guard line.hasPrefix("listening ") else { throw ChaosFailure("the fault proxy did not start: \(line)") }
        }
        let bootstrap = "127.0.0.1:\(proxyPort)"
        context.append(("broker", "\(label) at \(broker), through spillway-fault-proxy at \(bootstrap)"))
        context.append(("librdkafka", "\(LoadedLibrdkafka.version) (loaded by this harness, its reader and the service)"))
        say("\(label) at \(broker) behind the fault proxy at \(bootstrap); librdkafka \(LoadedLibrdkafka.version)")

        func fault(_ command: String) throws {
            proxy.write(command + "\n")
            guard let reply = proxy.readLine(), reply.hasPrefix("ok") else { throw ChaosFailure("the fault proxy refused \(command)") }
        }
        func hold(_ service: ServiceProcess, for duration: Duration) async throws {
            let end = ContinuousClock.now + duration
            while ContinuousClock.now < end {
                await service.scrape()
                try await Task.sleep(for: .milliseconds(500))
            }
        }

        let follower = try TopicFollower(bootstrapServers: bootstrap, topic: topic, recordIDHeader: Self.recordIDHeader)
        defer { follower.stop() }
        // Half the mock profiles' senders: Tansu, the proxy and the reader share the two cores too.
        let load = LoadGenerator(topic: topic, concurrency: 4, pause: .milliseconds(2))
        let loadTask = Task { await load.run() }
        var service = try await startService(binary: tools + "/spillway", kafka: bootstrap)
        defer { service.killHard() }
        startListenerLoad()
        point(load, at: service)
        if let line = try? String(contentsOfFile: service.logPath, encoding: .utf8).split(separator: "\n").first(where: { $0.contains(" starting") }) {
            say("service: \(line.suffix(from: line.range(of: "spillway ")?.lowerBound ?? line.startIndex))")
        }

        say("healthy traffic, and a few records with every field set")
        switch await FidelityCheck.send(to: service.ingest, topic: topic) {
        case .success(let check): fidelity = check
        case .failure(let failure): violations.append(failure.description)
        }
        try await hold(service, for: Self.recovery)

        say("fault: proxy down (connections refused and reset) for \(Self.outage)"); faults.append("proxy down")
        try fault("down"); try await hold(service, for: Self.outage)
        try fault("up"); say("proxy up: recovering"); try await hold(service, for: Self.recovery)

        say("fault: proxy hang (connections kept, nothing forwarded) for \(Self.outage)"); faults.append("proxy hang")
        try fault("hang"); try await hold(service, for: Self.outage)
        try fault("up"); say("hang over: recovering"); try await hold(service, for: Self.recovery)

        if let brokerPid {
            say("fault: broker paused (SIGSTOP) for \(Self.outage)"); faults.append("broker SIGSTOP")
            guard kill(brokerPid, SIGSTOP) == 0 else { throw ChaosFailure("cannot SIGSTOP the broker (pid \(brokerPid)): errno \(errno)") }
            defer { kill(brokerPid, SIGCONT) }
            try await hold(service, for: Self.outage)
            kill(brokerPid, SIGCONT); say("broker resumed (SIGCONT): recovering"); try await hold(service, for: Self.recovery)
        } else {
            say("no --broker-pid: skipping the broker pause")
        }

        say("fault: a burst at full speed through a 3 s round trip"); faults.append("burst through rtt 3000")
        try fault("rtt 3000"); load.setPause(.zero)
        try await hold(service, for: .seconds(5))
        load.setPause(.milliseconds(2))
        try await hold(service, for: .seconds(3))
        try fault("rtt 0"); say("round trip back to normal: recovering"); try await hold(service, for: Self.recovery)

        say("fault: SIGKILL and restart of the service while the proxy is down"); faults.append("SIGKILL mid-outage")
        try fault("down"); try await hold(service, for: .seconds(3))
        service = try await killAndRestart(service, load: load, binary: tools + "/spillway", kafka: bootstrap)
        try await hold(service, for: .seconds(4))
        try fault("up"); say("proxy up after the restart: recovering"); try await hold(service, for: Self.recovery)

        return try await finish(service: service, load: load, loadTask: loadTask, follower: follower, started: started)
    }
}
