import SpillwayRehearsal

/// What one scenario run saw, raw: when each event happened (wall-clock
/// milliseconds, the clock record timestamps use), what the load sent and the
/// reader read, and the status timeline. `OutageFigures` derives the results.
struct OutageObservation: Sendable {
    let scenario: OutageScenario
    let options: OutageRun.Options
    var loadStartMs: Int64 = 0
    var loadEndMs: Int64 = 0
    /// The fault began (the command went to the mock).
    var faultAtMs: Int64?
    /// The broker answers again: `up`, or the hung round trip cleared.
    var recoveredAtMs: Int64?
    /// The slow round trip set, and cleared (degraded and its control).
    var degradedAtMs: Int64?
    var normalAtMs: Int64?
    var killedAtMs: Int64?
    var restartedAtMs: Int64?
    /// Records queued or in flight in the killed instance, as its last status said.
    var inMemoryAtKill: Int?
    /// Copies of the spool taken at each SIGKILL, and the ids each held.
    var spoolsAtKills: [String] = []
    var spooledAtKills: [Set<Int>] = []
    /// Ids still in the spool after the service stopped (none once drained).
    var stillSpooled = Set<Int>()
    var load = LoadGenerator.Figures()
    var read = TopicFollower.Figures()
    var timeline: [StatusTimeline.Sample] = []
    var peakResidentKiB = 0
    /// The first instance's memory once warmed up and idle, before the load.
    var idle: ServiceProcess.ResidentMemory?
    /// The last instance's memory once the backlog drained and it sat idle again:
    /// what an outage leaves behind in a sidecar that runs for months.
    var afterward: ServiceProcess.ResidentMemory?
    /// Records one instance may hold in memory (queue + spool hand-off): what a SIGKILL may cost.
    var memoryBound = 0
    var drainTimedOut = false

    init(scenario: OutageScenario, options: OutageRun.Options) {
        self.scenario = scenario
        self.options = options
    }
}
