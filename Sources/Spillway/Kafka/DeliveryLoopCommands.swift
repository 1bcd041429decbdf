/// What the delivery loop should act on: an operator's mode change, a probe's result.
struct DeliveryLoopCommands: Sendable {
    var mode: BreakerMode?
    var probe: (succeeded: Bool, detail: String)?
}
