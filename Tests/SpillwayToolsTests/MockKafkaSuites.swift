import SpillwayTestTraits
import Testing

/// The suites that run the tools as child processes against a broker, one test
/// at a time: a loaded 2-core machine running them all at once turns timing
/// bounds into coin flips.
@Suite(.serialized, .heavyLane) enum MockKafkaSuites {}
