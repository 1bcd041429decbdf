import NIOCore
import SpillwayAdminContract
import Synchronization

/// The Kafka listener's open connections and who is on them: counted for the
/// gauge, shown by `spillway status` and `top`, closed at shutdown.
package final class KafkaConnections: Sendable {
    private struct Connection {
        var channel: any Channel
        var clientID: String?
        var software: String?
    }

    private struct State {
        var address = ""
        var open: [ObjectIdentifier: Connection] = [:]
    }

    private let state = Mutex(State())

    package init() {}

    func listening(at address: String) {
        state.withLock { $0.address = address }
    }

    func opened(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        let count = state.withLock { state in
            state.open[key] = Connection(channel: channel)
            return state.open.count
        }
        KafkaListenerMetrics.connections(count)
        channel.closeFuture.whenComplete { [self] _ in
            let count = state.withLock { state in
                state.open[key] = nil
                return state.open.count
            }
            KafkaListenerMetrics.connections(count)
        }
    }

    /// What the client on `channel` says it is: its `client.id`, and its software from ApiVersions v3.
    func identify(_ channel: any Channel, clientID: String?, software: String?) {
        state.withLock { state in
            let key = ObjectIdentifier(channel)
            if let clientID { state.open[key]?.clientID = clientID }
            if let software { state.open[key]?.software = software }
        }
    }

    /// The listener as the admin status shows it.
    package func status() -> AdminStatus.KafkaListener {
        state.withLock { state in
            var document = AdminStatus.KafkaListener()
            document.address = state.address
            document.connections = state.open.count
            var clients: [String: AdminStatus.KafkaListener.Client] = [:]
            for connection in state.open.values {
                let clientID = connection.clientID.flatMap { $0.isEmpty ? nil : String($0.prefix(100)) } ?? "-"
                let software = connection.software ?? "-"
                clients["\(clientID)\u{0}\(software)", default: .init(clientID: clientID, software: software, connections: 0)].connections += 1
            }
            document.clients = clients.values.sorted { ($0.clientID, $0.software) < ($1.clientID, $1.software) }
            return document
        }
    }

    func closeAll() async {
        let channels = state.withLock { $0.open.values.map(\.channel) }
        for channel in channels { try? await channel.close() }
    }
}
