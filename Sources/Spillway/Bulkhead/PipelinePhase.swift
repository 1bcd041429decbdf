/// The pipeline's life cycle.
enum PipelinePhase: Sendable, Equatable {
    /// Built; `send` accepts into memory, nothing runs yet.
    case starting
    case running
    /// Shutdown began: intake is closed, in-flight records get their deadline.
    case draining
    /// The dispatcher is done; the spool writer is writing out what is left.
    case flushing
    case stopped
}
