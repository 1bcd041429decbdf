// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "spillway",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Spillway", targets: ["Spillway"]),
        .library(name: "SpillwaySpool", targets: ["SpillwaySpool"]),
        .executable(name: "spillway", targets: ["SpillwayCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.34.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.3.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.21.0"),
    ],
    targets: [
        // C libraries from Debian, found through pkg-config.
        .systemLibrary(
            name: "CRDKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // The codecs Kafka producers compress record batches with (gzip, snappy, lz4, zstd).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // glibc's malloc.h (mallinfo2, malloc_trim): no library of its own.
        .systemLibrary(name: "CMalloc"),

        // The bounded SQLite spool: the disk side of the bulkhead.
        .target(
            name: "SpillwaySpool",
            dependencies: [
                "CSQLite",
                "CZstd",
                .product(name: "Logging", package: "swift-log"),
            ],
            plugins: ["EmbedSpoolMigrations"]
        ),

        // The pipeline: intake, bulkhead queue, Kafka sink, circuit breaker, spill, replay.
        .target(
            name: "Spillway",
            dependencies: [
                "SpillwaySpool",
                "CRDKafka",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // The admin API's wire format (status, breaker, backlog documents): Codable
        // types the service encodes and the CLI decodes, apart from the HTTP server.
        .target(
            name: "SpillwayAdminContract",
            dependencies: ["Spillway", "SpillwaySpool"]
        ),

        // The HTTP service around the pipeline: ingest, REST Proxy v2, admin API.
        .target(
            name: "SpillwayService",
            dependencies: [
                "CMalloc",
                "Spillway",
                "SpillwayAdminContract",
                "SpillwayKafkaWire",
                "SpillwaySpool",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // Kafka's wire protocol, server side (issue 18): frames, request decoding,
        // response encoding, record batches with their codecs. Pure: no I/O.
        .target(
            name: "SpillwayKafkaWire",
            dependencies: [
                "CZlib", "CSnappy", "CLZ4", "CZstd",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // The `spillway` command: service, spool inspection, operations.
        .executableTarget(
            name: "SpillwayCLI",
            dependencies: [
                "SpillwayAdminContract",
                "SpillwaySpool",
                "SpillwayService",
                "Spillway",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // The admin client: not URLSession, whose FoundationNetworking loads libcurl and
                // its TLS stack into every process of this executable, `serve` included (issue 22).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // Build-time embedding of migrations/*.sql into the spool library.
        .executableTarget(name: "SpillwayMigrationEmbedder"),
        .plugin(
            name: "EmbedSpoolMigrations",
            capability: .buildTool(),
            dependencies: ["SpillwayMigrationEmbedder"]
        ),

        // Test helper: a child process that appends to a spool until it is killed.
        .executableTarget(
            name: "spool-writer",
            dependencies: ["SpillwaySpool"],
            path: "tools/spool-writer"
        ),

        // Test helper: a pipeline in a child process sending at an ack level until it is killed.
        .executableTarget(
            name: "ack-sender",
            dependencies: [
                "Spillway", "SpillwaySpool",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "tools/ack-sender"
        ),

        // librdkafka's mock cluster as a process with fault injection, to rehearse outages.
        .executableTarget(
            name: "spillway-mock-kafka",
            dependencies: [
                "SpillwayTestKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "tools/mock-kafka"
        ),

        // A TCP proxy with fault injection in front of any Kafka broker (Tansu in CI, staging by hand).
        .executableTarget(
            name: "spillway-fault-proxy",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "tools/fault-proxy"
        ),

        // What the chaos harness and the outage benchmark share: a `spillway serve`
        // child, HTTP load with unique ids, a reader following the topic.
        .target(
            name: "SpillwayRehearsal",
            dependencies: [
                "SpillwayAdminContract",
                "SpillwayService",
                "SpillwaySpool",
                "SpillwayTestKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "tools/rehearsal"
        ),

        // The chaos harness: outages rehearsed against the real service, books checked.
        .executableTarget(
            name: "spillway-chaos",
            dependencies: [
                "SpillwayRehearsal",
                "SpillwaySpool",
                "SpillwayTestKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "tools/chaos"
        ),

        // Seeded mutation fuzzing of the ingest decoders and routes, against a real pipeline (CI: 60 s).
        .executableTarget(
            name: "spillway-fuzz",
            dependencies: [
                "Spillway", "SpillwayKafkaWire", "SpillwayService", "SpillwaySpool", "SpillwayTestKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "tools/fuzz",
            exclude: ["corpus"]
        ),

        // Spool throughput against a raw sqlite3 loop, in the same run.
        .executableTarget(
            name: "spool-benchmark",
            dependencies: ["SpillwaySpool", "CSQLite", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/SpoolBenchmark"
        ),

        // Helpers shared by the test targets: temporary folders, child processes,
        // librdkafka's mock cluster with fault injection, a topic reader.
        .target(name: "SpillwayTestKit", dependencies: ["CRDKafka", "Spillway", "SpillwaySpool"]),
        // Swift Testing traits the test targets share (the heavy-test lane). Apart
        // from SpillwayTestKit because tools link that, and they cannot link Testing.
        .target(name: "SpillwayTestTraits", dependencies: ["SpillwayTestKit"]),

        // Record batch decoding per codec against the codec alone, and CRC-32C, in the same run.
        .executableTarget(
            name: "kafka-wire-benchmark",
            dependencies: ["SpillwayKafkaWire", .product(name: "NIOCore", package: "swift-nio")],
            path: "Benchmarks/KafkaWireBenchmark"
        ),

        // Pipeline latency and throughput against raw baselines, in the same run.
        .executableTarget(
            name: "pipeline-benchmark",
            dependencies: [
                "Spillway", "SpillwaySpool", "SpillwayTestKit", "CRDKafka",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/PipelineBenchmark"
        ),

        // Kafka producers through the Kafka listener against the same producer straight into Kafka.
        .executableTarget(
            name: "kafka-listener-benchmark",
            dependencies: [
                "Spillway", "SpillwayService", "SpillwaySpool", "SpillwayTestKit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/KafkaListenerBenchmark"
        ),

        // Kafka outages rehearsed against spillway serve, recovery measured (issue 10; not in CI).
        .executableTarget(
            name: "outage-benchmark",
            dependencies: [
                "SpillwayRehearsal", "SpillwayService", "SpillwayTestKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Benchmarks/Outage"
        ),

        .testTarget(
            name: "SpillwaySpoolTests",
            dependencies: ["SpillwaySpool", "SpillwayTestKit", "SpillwayTestTraits", "CSQLite", "spool-writer"]
        ),
        .testTarget(
            name: "SpillwayTests",
            dependencies: [
                "Spillway", "SpillwayTestKit", "SpillwayTestTraits", "CRDKafka", "ack-sender",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SpillwayServiceTests",
            dependencies: [
                "SpillwayAdminContract", "SpillwayService", "Spillway", "SpillwaySpool", "SpillwayTestKit", "SpillwayTestTraits", "SpillwayCLI",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SpillwayToolsTests",
            dependencies: ["SpillwayTestKit", "SpillwayTestTraits", "SpillwayRehearsal", "spillway-mock-kafka", "spillway-fault-proxy", "SpillwayCLI"]
        ),
        .testTarget(
            name: "SpillwayKafkaWireTests",
            dependencies: [
                "SpillwayKafkaWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SpillwayCLITests",
            dependencies: ["SpillwayAdminContract", "SpillwaySpool", "SpillwayTestKit", "SpillwayCLI", "SpillwayService", "Spillway"]
        ),
    ]
)
