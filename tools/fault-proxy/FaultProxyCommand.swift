// spillway-fault-proxy: a TCP proxy in front of Kafka brokers that injects
// network faults, to rehearse outages against any broker (Tansu in CI, a
// staging cluster by hand) without touching the broker itself.
//
//   spillway-fault-proxy --route LISTEN=BROKER [--route …] [--control-port PORT]
//
// One listen port per broker. Start (or configure) each broker to advertise the
// proxy's address, so that every connection a client makes crosses the proxy.
// Prints `listening LISTEN -> BROKER` for each route and then `ready`; takes
// commands on standard input (one per line) and, with --control-port, over
// HTTP (`POST /down`, `/hang`, `/up`, `/clear`, `/rtt?ms=N`,
// `/bandwidth?bytes=N`, each with an optional `&port=LISTEN`; `GET /status`):
//
//   down [PORT]              refuse new connections, reset the open ones
//   hang [PORT]              keep connections, forward nothing (held bytes move on `up`)
//   up [PORT]                end down and hang
//   rtt MS [PORT]            add MS to each round trip (half in each direction); 0 ends it
//   bandwidth B/S [PORT]     cap each direction of each connection; 0 ends it
//   clear [PORT]             every fault off
//   status                   what is in force, per route
//   quit                     stop
import ArgumentParser
import Foundation
import Hummingbird
import NIOCore
import NIOPosix

@main
struct FaultProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spillway-fault-proxy",
        abstract: "A TCP proxy in front of Kafka brokers that injects outages: down, hang, delay, bandwidth.",
        discussion: """
            Each broker must advertise the proxy's address (advertised.listeners), or clients bypass it
            after their first metadata request. It cannot simulate what happens inside a broker: produce
            errors, lost leadership, a full disk. Use spillway-mock-kafka for those.
            """
    )

    @Option(help: "LISTEN=BROKER: listen on LISTEN (PORT or HOST:PORT, host 127.0.0.1 by default) and forward to BROKER (HOST:PORT). Repeat for each broker.")
    var route: [String] = []
    @Option(help: "Also take commands over HTTP on this loopback port.") var controlPort: Int?

    func validate() throws {
        if route.isEmpty { throw ValidationError("give at least one --route LISTEN=BROKER, such as --route 19092=kafka-1.staging:9092") }
    }

    func run() async throws {
        let routes: [ProxyRoute]
        do {
            routes = try route.map { text throws(ProxyCommandError) in try ProxyRoute(parsing: text) }
        } catch {
            throw ValidationError(error.description)
        }
        let proxy = FaultProxy(routes: routes, loop: MultiThreadedEventLoopGroup.singleton.next())
        do {
            try await proxy.start().get()
        } catch {
            throw ValidationError("cannot listen for \(routes.map(\.description).joined(separator: ", ")): \(error)")
        }
        for route in routes { print("listening \(route)") }
        print("ready")
        fflush(nil)

        // Standard input: one command per line, on its own thread (reading blocks).
        Thread.detachNewThread {
            while let line = readLine() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty { continue }
                if trimmed == "quit" { Foundation.exit(0) }
                print(Self.answerBlocking(trimmed, proxy: proxy))
                fflush(nil)
            }
        }

        guard let controlPort else {
            while true { try await Task.sleep(for: .seconds(3600)) }
        }
        let router = Router()
        for command in ["down", "hang", "up", "clear", "rtt", "bandwidth"] {
            router.post("/\(command)") { request, _ -> Response in
                let query = request.uri.queryParameters
                var line = command
                if command == "rtt" { line += " \(query["ms"].map(String.init) ?? "")" }
                if command == "bandwidth" { line += " \(query["bytes"].map(String.init) ?? "")" }
                if let port = query["port"] { line += " \(port)" }
                let reply = await Self.answer(line, proxy: proxy)
                return Response(status: reply.hasPrefix("ok") ? .ok : .badRequest, body: ResponseBody(byteBuffer: ByteBuffer(string: reply + "\n")))
            }
        }
        router.get("/status") { _, _ in await Self.answer("status", proxy: proxy) + "\n" }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: controlPort)))
        try await app.runService()
    }

    /// Parses and carries out one line, from standard input's thread.
    static func answerBlocking(_ line: String, proxy: FaultProxy) -> String {
        switch ProxyCommand.parse(line) {
        case .failure(let error): return "error: \(error)"
        case .success(let command): return (try? proxy.apply(command).wait()) ?? "error: the proxy stopped"
        }
    }

    /// Parses and carries out one line, from an HTTP request.
    static func answer(_ line: String, proxy: FaultProxy) async -> String {
        switch ProxyCommand.parse(line) {
        case .failure(let error): return "error: \(error)"
        case .success(let command): return (try? await proxy.apply(command).get()) ?? "error: the proxy stopped"
        }
    }
}
