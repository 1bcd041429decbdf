/// What the delivery loop reads of the shared state at the start of a round.
struct DeliveryRound: Sendable {
    var commands: DeliveryLoopCommands
    /// Shutdown has not begun.
    var running: Bool
    /// The spool holds records ready to replay.
    var backlog: Bool
    var replayPaused: Bool
    var replayConfiguration: ReplayConfiguration
}
