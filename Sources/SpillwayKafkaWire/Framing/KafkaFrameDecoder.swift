import NIOCore

/// A ByteToMessageDecoder for the listener: emits each frame's payload, refuses
/// frames over `maxFrameBytes` or with a negative size (throws a KafkaWireError
/// the listener logs before closing). The bound is checked on the 4-byte size,
/// before buffering, so a client cannot make us hold a gigabyte it announced.
package struct KafkaFrameDecoder: ByteToMessageDecoder {
    package typealias InboundOut = ByteBuffer

    package let maxFrameBytes: Int

    package init(maxFrameBytes: Int) {
        self.maxFrameBytes = maxFrameBytes
    }

    package mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try Self.nextFrame(&buffer, maxFrameBytes: maxFrameBytes) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    package mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A partial frame at EOF is dropped: the client went away mid-request.
        try decode(context: context, buffer: &buffer)
    }

    /// The next whole frame's payload, nil while more bytes are needed. Pure, for tests and the fuzzer.
    package static func nextFrame(_ buffer: inout ByteBuffer, maxFrameBytes: Int) throws(KafkaWireError) -> ByteBuffer? {
        guard let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return nil }
        guard size >= 0 else {
            throw .malformed("frame size \(size) is negative: the peer is not speaking Kafka's protocol (TLS or HTTP to a plaintext Kafka port?)")
        }
        guard Int(size) <= maxFrameBytes else {
            throw .malformed(
                "frame of \(size) bytes is over the limit of \(maxFrameBytes) bytes: lower the client's max.request.size "
                    + "(or message.max.bytes) or raise Spillway's limit"
            )
        }
        guard buffer.readableBytes >= 4 + Int(size) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: Int(size))
    }
}
