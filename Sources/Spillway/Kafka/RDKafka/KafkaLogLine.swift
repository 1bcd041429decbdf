import Logging
import SpillwaySpool

/// One line of librdkafka's own log. librdkafka would print these straight to
/// standard error (`%3|…`); Spillway reads them from its event queue instead,
/// so they reach the application's log handler, with levels, and throttled.
package struct KafkaLogLine: Sendable, Hashable {
    /// librdkafka's syslog level: 0 emergency … 7 debug.
    package var syslogLevel: Int32
    /// librdkafka's short tag for the subsystem, such as `FAIL` or `REQTMOUT`.
    package var facility: String
    package var message: String

    package init(syslogLevel: Int32, facility: String, message: String) {
        self.syslogLevel = syslogLevel
        self.facility = facility
        self.message = message
    }

    package var level: Logger.Level {
        switch syslogLevel {
        case ...2: .critical
        case 3: .error
        case 4: .warning
        case 5: .notice
        case 6: .info
        default: .debug
        }
    }

    /// Logs the line, at most once per interval for each facility: a flapping
    /// cluster makes librdkafka repeat itself for as long as the outage lasts.
    package func emit(to logger: Logger, repeats: inout RepeatedLog) {
        let level = level
        guard logger.logLevel <= level else { return }
        repeats.occurred("librdkafka:\(facility)") { suppressed in
            logger.log(level: level, "librdkafka: \(message)", metadata: [
                "facility": "\(facility)", "similar_since_last_line": "\(suppressed)",
            ])
        }
    }
}
