// spool-writer: drives a spool from a separate process, for the tests that must
// kill a writer mid-append or run it on a nearly full disk.
//
//   spool-writer append PATH BATCHES BATCH_SIZE VALUE_BYTES
//       Appends batches forever-or-until-done. After each commit prints
//       "committed BATCH FIRST_ID LAST_ID" and flushes, so a parent can kill it
//       at a known point. Record values are "b<batch>r<index>:" plus padding.
//   spool-writer escrow PATH BATCHES BATCH_SIZE VALUE_BYTES
//       The same, as escrow copies (keys 1, 2, …); prints "escrowed BATCH FIRST_KEY LAST_KEY".
//   spool-writer fill-disk PATH FILLER_PATH
//       Appends until the disk is full, checks the error, deletes FILLER_PATH
//       to give space back, appends again. Prints "full <error>", then
//       "recovered <ready_count>" when the spool works again.
#if canImport(Glibc)
import Glibc
#endif
import SpillwaySpool

func fail(_ message: String) -> Never {
    let line = "spool-writer: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(1)
}

func record(batch: Int, index: Int, valueBytes: Int) -> Record {
    var value = Array("b\(batch)r\(index):".utf8)
    if value.count < valueBytes { value += [UInt8](repeating: UInt8(ascii: "x"), count: valueBytes - value.count) }
    return Record(topic: "crash-test", key: Array("k\(index)".utf8), value: value, timestamp: 1_700_000_000_000 + Int64(batch))
}

let arguments = Array(CommandLine.arguments.dropFirst())
/// Prints a line and pushes it out at once: the parent reads it to decide when to kill.
func report(_ line: String) {
    print(line)
    fflush(nil)
}

switch arguments.first {
case "append":
    guard arguments.count == 5, let batches = Int(arguments[2]), let batchSize = Int(arguments[3]), let valueBytes = Int(arguments[4]) else {
        fail("usage: spool-writer append PATH BATCHES BATCH_SIZE VALUE_BYTES")
    }
    do {
        let spool = try Spool.open(SpoolConfiguration(path: arguments[1], maxBytes: 1 << 30))
        for batch in 0..<batches {
            let records = (0..<batchSize).map { record(batch: batch, index: $0, valueBytes: valueBytes) }
            let result = try spool.append(records)
            guard let ids = result.ids else { fail("batch \(batch) was not appended") }
            report("committed \(batch) \(ids.lowerBound) \(ids.upperBound)")
        }
        spool.close()
    } catch {
        fail("\(error)")
    }

case "escrow":
    guard arguments.count == 5, let batches = Int(arguments[2]), let batchSize = Int(arguments[3]), let valueBytes = Int(arguments[4]) else {
        fail("usage: spool-writer escrow PATH BATCHES BATCH_SIZE VALUE_BYTES")
    }
    do {
        let spool = try Spool.open(SpoolConfiguration(path: arguments[1], maxBytes: 1 << 30))
        for batch in 0..<batches {
            let records = (0..<batchSize).map { record(batch: batch, index: $0, valueBytes: valueBytes) }
            let keys = (0..<batchSize).map { Int64(batch * batchSize + $0 + 1) }
            guard try spool.escrow(records, keys: keys).keptCount == batchSize else { fail("batch \(batch) was not escrowed whole") }
            report("escrowed \(batch) \(keys[0]) \(keys[batchSize - 1])")
        }
        spool.close()
    } catch {
        fail("\(error)")
    }

case "fill-disk":
    guard arguments.count == 3 else { fail("usage: spool-writer fill-disk PATH FILLER_PATH") }
    do {
        let spool = try Spool.open(SpoolConfiguration(path: arguments[1], maxBytes: 1 << 30))
        var batch = 0
        while true {
            do {
                try spool.append((0..<100).map { record(batch: batch, index: $0, valueBytes: 1000) })
                batch += 1
                if batch > 100_000 { fail("the disk never filled up") }
            } catch {
                report("full \(error)")
                break
            }
        }
        let before = spool.totals
        if unlink(arguments[2]) != 0 { fail("cannot delete filler \(arguments[2])") }
        try spool.append((0..<100).map { record(batch: batch, index: $0, valueBytes: 1000) })
        guard spool.totals.readyCount == before.readyCount + 100 else { fail("totals did not move after recovery") }
        report("recovered \(spool.totals.readyCount)")
        spool.close()
    } catch {
        fail("\(error)")
    }

default:
    fail("usage: spool-writer append|escrow|fill-disk …")
}
