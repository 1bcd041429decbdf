import NIOCore
import Testing

@testable import SpillwayKafkaWire

/// Frames split at every byte, frames over the bound and negative sizes.
@Suite struct FrameDecoderTests {
    @Test func framesReassembledFromAnySplit() throws {
        let fixture = FixtureFile.named("kcat-1.7.1-librdkafka-2.0.2", "ApiVersions-v3-rdk202.req.bin").bytes
        let stream = fixture + fixture
        for split in 0...stream.count {
            var buffer = ByteBuffer(bytes: stream[..<split])
            var frames: [ByteBuffer] = []
            while let frame = try KafkaFrameDecoder.nextFrame(&buffer, maxFrameBytes: 1024) { frames.append(frame) }
            buffer.writeBytes(stream[split...])
            while let frame = try KafkaFrameDecoder.nextFrame(&buffer, maxFrameBytes: 1024) { frames.append(frame) }
            #expect(frames.count == 2)
            #expect(frames.allSatisfy { Array($0.readableBytesView) == Array(fixture.dropFirst(4)) })
            #expect(buffer.readableBytes == 0)
        }
    }

    /// The bound is checked on the size alone, before the frame is buffered.
    @Test func oversizedFrameRefusedFromItsSize() throws {
        var buffer = ByteBuffer(bytes: [0x00, 0x10, 0x00, 0x01])
        let error = #expect(throws: KafkaWireError.self) { try KafkaFrameDecoder.nextFrame(&buffer, maxFrameBytes: 1 << 20) }
        #expect(error?.description.contains("over the limit") == true)
        var exact = ByteBuffer(bytes: [0x00, 0x00, 0x00, 0x02, 0xAA, 0xBB])
        #expect(try KafkaFrameDecoder.nextFrame(&exact, maxFrameBytes: 2)?.readableBytes == 2)
    }

    @Test func negativeSizeRefused() {
        var buffer = ByteBuffer(bytes: [0x80, 0x00, 0x00, 0x00])
        let error = #expect(throws: KafkaWireError.self) { try KafkaFrameDecoder.nextFrame(&buffer, maxFrameBytes: 1024) }
        #expect(error?.kind == .malformed)
        #expect(error?.description.contains("negative") == true)
    }

    @Test func emptyFrameEmittedAndRefusedByTheDecoder() throws {
        var buffer = ByteBuffer(bytes: [0, 0, 0, 0])
        let frame = try #require(try KafkaFrameDecoder.nextFrame(&buffer, maxFrameBytes: 16))
        #expect(frame.readableBytes == 0)
        #expect(throws: KafkaWireError.self) { try KafkaRequestDecoder.decode(frame) }
    }
}
