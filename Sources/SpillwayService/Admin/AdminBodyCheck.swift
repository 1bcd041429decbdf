import SpillwayAdminContract

/// What an admin request body must be before it is decoded: one JSON object,
/// parsed by `RawJSONParser` as the ingest routes parse records, holding only
/// the request's fields, each once, with numbers a 64-bit float can hold.
/// Foundation's decoder keeps the first of two `mode`s and ignores a misspelt
/// field; the configuration file refuses both (`DuplicateKeyScanner`), and so
/// does the admin API, naming the field.
enum AdminBodyCheck {
    static func check<Request: AdminRequest>(_ bytes: [UInt8], as request: Request.Type) throws(AdminErrorReply) {
        let json: RawJSON
        do {
            json = try RawJSONParser.parse(bytes)
        } catch {
            throw AdminErrorReply(error.located(in: bytes))
        }
        guard case .object(let members) = json.kind else {
            throw AdminErrorReply("expected a JSON object, found \(json.typeName)")
        }
        var seen: Set<String> = []
        for member in members {
            let name = member.name.prefix(100)
            guard Request.fieldNames.contains(member.name) else {
                let known = Request.fieldNames.map { "\"\($0)\"" }.joined(separator: ", ")
                throw AdminErrorReply("unknown field \"\(name)\"; this request takes \(known)")
            }
            guard seen.insert(member.name).inserted else {
                throw AdminErrorReply("field \"\(name)\" is given twice")
            }
            if let number = member.value.firstOutOfRangeNumber {
                throw AdminErrorReply("\(name) must be a finite number, got \(number.prefix(40))")
            }
        }
    }
}
