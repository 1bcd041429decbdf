/// Explains each duplicate a reader saw, or names it. Delivery is at least
/// once, and Spillway promises (DESIGN.md, "Duplicates are explained") that
/// every extra copy is a record it counted as possibly persisted, whose later
/// copies then carry `spillway-possibly-persisted: 1`, or a record replayed
/// after a crash: one that was in the spool when the service was killed.
///
/// Counted per id: each marked copy explains one extra copy (the attempt
/// before it may have been stored), and each SIGKILL that found the record in
/// the spool explains one more (the killed instance may have delivered it
/// without deleting it). An id with more extra copies than that, or whose
/// copies carry different record ids (the service took the value twice: not a
/// duplicate of Spillway's making), is unexplained.
package struct DuplicateAttribution: Sendable {
    /// Ids read more than once.
    package private(set) var ids = 0
    /// Copies beyond the first.
    package private(set) var extraCopies = 0
    /// Ids whose extra copies the possibly-persisted marks explain on their own.
    package private(set) var byMark = 0
    /// Ids that needed a SIGKILL's replay to be explained.
    package private(set) var byKill = 0
    /// Ids nothing explains, with why, smallest id first.
    package private(set) var unexplained: [(id: Int, why: String)] = []

    /// - Parameters:
    ///   - duplicates: every copy of each id read more than once.
    ///   - spooledAtKills: for each SIGKILL, the ids its spool held.
    package init(_ duplicates: [Int: [TopicFollower.Copy]], spooledAtKills: [Set<Int>]) {
        for (id, copies) in duplicates.sorted(by: { $0.key < $1.key }) where copies.count > 1 {
            ids += 1
            let extra = copies.count - 1
            extraCopies += extra
            let recordIDs = Set(copies.compactMap(\.recordID))
            if recordIDs.count > 1 {
                unexplained.append((id, "\(copies.count) copies with \(recordIDs.count) different record ids: the service took this value more than once"))
                continue
            }
            let marked = copies.count { $0.markedPossiblyPersisted }
            let kills = spooledAtKills.count { $0.contains(id) }
            if marked >= extra {
                byMark += 1
            } else if marked + kills >= extra {
                byKill += 1
            } else {
                unexplained.append((id, "\(copies.count) copies (partition/offset \(copies.map { "\($0.partition)/\($0.offset)" }.joined(separator: ", "))), \(marked) marked possibly persisted, in the spool at \(kills) of \(spooledAtKills.count) SIGKILLs"))
            }
        }
    }

    /// Ids explained, by a mark or a SIGKILL.
    package var explained: Int { byMark + byKill }

    /// One line for a summary.
    package var summary: String {
        guard ids > 0 else { return "none" }
        return "\(extraCopies) extra copies of \(ids) ids; attributed: \(byMark) by the possibly-persisted mark, \(byKill) by a replay after SIGKILL, \(unexplained.count) unexplained"
    }
}
