#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// Finds a port nobody listens on yet, for dev mode's Kafka listener: 9092 where
/// Kafka clients look first, or the next free one when a local Kafka has it.
enum FreePortSearch {
    /// The first port from `start` (trying `count`) that `host` can bind now, or nil.
    static func first(from start: Int, count: Int = 100, host: String) -> Int? {
        (start..<(start + count)).first { isFree($0, host: host) }
    }

    private static func isFree(_ port: Int, host: String) -> Bool {
        guard let address = try? SocketAddress.makeAddressResolvingHost(host, port: port) else { return false }
        let descriptor = socket(Int32(address.protocol.rawValue), Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return address.withSockAddr { pointer, size in bind(descriptor, pointer, socklen_t(size)) == 0 }
    }
}
