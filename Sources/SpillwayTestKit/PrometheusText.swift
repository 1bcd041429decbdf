/// Reads Prometheus text exposition (`name{labels} value` lines), for tests and
/// tools that check a running service's `/metrics`.
package struct PrometheusText: Sendable {
    package struct Sample: Sendable {
        package var name: String
        package var series: Substring
        package var value: Double

        /// One label's value, such as `reason` in `spillway_dropped_total{reason="memory_full"}`.
        package func label(_ label: String) -> String? {
            guard let start = series.firstRange(of: "\(label)=\"") else { return nil }
            return String(series[start.upperBound...].prefix { $0 != "\"" })
        }
    }

    package let samples: [Sample]

    package init(_ text: String) {
        samples = text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#") else { return nil }
            let parts = line.split(separator: " ")
            guard parts.count >= 2, let value = Double(parts[parts.count - 1]) else { return nil }
            return Sample(name: String(parts[0].prefix { $0 != "{" }), series: parts[0], value: value)
        }
    }

    /// Every metric's value, its series summed.
    package var byName: [String: Double] {
        samples.reduce(into: [:]) { $0[$1.name, default: 0] += $1.value }
    }
}
