#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether a listener address stays on this machine, decided from what the name
/// resolves to, not how it is spelt: `127.evil.example` may resolve anywhere.
enum LoopbackHost {
    /// True when `host` resolves, and every address it resolves to is a loopback address.
    static func isLoopback(_ host: String) -> Bool {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var first: UnsafeMutablePointer<addrinfo>?
        guard !host.isEmpty, getaddrinfo(host, nil, &hints, &first) == 0, let first else { return false }
        defer { freeaddrinfo(first) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        var sawAny = false
        while let current = entry {
            sawAny = true
            guard let address = current.pointee.ai_addr, isLoopback(address) else { return false }
            entry = current.pointee.ai_next
        }
        return sawAny
    }

    /// 127.0.0.0/8, ::1, or 127.0.0.0/8 mapped into IPv6.
    private static func isLoopback(_ address: UnsafeMutablePointer<sockaddr>) -> Bool {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            let ipv4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
            return UInt32(bigEndian: ipv4) >> 24 == 127
        case AF_INET6:
            let bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
            }
            let loopback: [UInt8] = Array(repeating: 0, count: 15) + [1]
            let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
            return bytes == loopback || (mapped && bytes[12] == 127)
        default:
            return false
        }
    }
}
