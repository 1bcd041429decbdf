import NIOCore
import NIOEmbedded
import Testing

@testable import SpillwayKafkaWire

/// The decoder in a channel pipeline, as the listener installs it.
@Suite struct FrameDecoderPipelineTests {
    @Test func emitsEachFrameAndRefusesAnOversizedOne() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(KafkaFrameDecoder(maxFrameBytes: 64)))
        defer { _ = try? channel.finish() }
        let fixture = FixtureFile.named("kcat-1.7.1-librdkafka-2.0.2", "ApiVersions-v0-rdk202.req.bin").bytes
        // One frame in two writes, then one whole.
        try channel.writeInbound(ByteBuffer(bytes: fixture.prefix(7)))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        try channel.writeInbound(ByteBuffer(bytes: fixture.dropFirst(7) + fixture))
        for _ in 0..<2 {
            let frame = try #require(try channel.readInbound(as: ByteBuffer.self))
            let (header, _) = try KafkaRequestDecoder.decode(frame)
            #expect(header.api == .apiVersions)
        }
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        let error = #expect(throws: KafkaWireError.self) { try channel.writeInbound(ByteBuffer(bytes: [0x00, 0x00, 0x01, 0x00])) }
        #expect(error?.description.contains("over the limit of 64 bytes") == true)
    }
}
