import Foundation
import Logging
import SpillwaySpool

/// What opening a large spool for writing costs, and how much of it is holding
/// `spool_totals` against the rows (`Spool.repairTotals`, run by every open for
/// writing): `spool-benchmark --open 1000000`. Each open is of a closed file
/// just written, so its pages are in the page cache, as after a service restart
/// on the same machine; a cold cache adds the disk reads to every figure alike.
func measureOpenCost(records count: Int, valueBytes: Int, scratch: String) throws {
    var logger = Logger(label: "spool-benchmark")
    logger.logLevel = .warning
    let path = "\(scratch)/open.db"
    func configuration(_ check: SpoolConfiguration.IntegrityCheck) -> SpoolConfiguration {
        SpoolConfiguration(path: path, maxBytes: 8 << 30, maxRecords: 100_000_000, integrityCheck: check)
    }
    let spool = try Spool.open(configuration(.skip), logger: logger)
    var start = 0
    while start < count {
        let end = min(start + 10_000, count)
        try spool.append(records(count: end - start, valueBytes: valueBytes))
        start = end
    }
    spool.close()
    let fileBytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    print("open of a spool of \(count) records (\(valueBytes) B values, \(fileBytes >> 20) MiB), median of 5, ms:")
    let clock = ContinuousClock()
    for check in [SpoolConfiguration.IntegrityCheck.skip, .quick] {
        var opens: [Double] = []
        var audits: [Double] = []
        for _ in 0..<5 {
            var opened: Spool?
            opens.append(seconds(try clock.measure { opened = try Spool.open(configuration(check), logger: logger) }) * 1000)
            // The audit alone, as the open ran it (one statement; it wrote nothing: the totals agree).
            var consistent = false
            audits.append(seconds(try clock.measure { consistent = try opened!.auditTotals().isConsistent }) * 1000)
            precondition(consistent)
            opened?.close()
        }
        print(String(format: "  integrity check %@: open %.0f, of which the totals audit about %.0f", "\(check)", median(opens), median(audits)))
    }
}
