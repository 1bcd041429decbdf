import CLZ4

/// lz4 (attributes 3) in the LZ4 frame format, which magic-2 batches use
/// (the broken header checksum of Kafka 0.8-0.9 only concerns magic 0/1).
enum LZ4FrameCodec {
    static func decompress(_ input: UnsafeRawBufferPointer, maxBytes: Int) throws(RecordBatchError) -> [UInt8] {
        var context: OpaquePointer?
        guard LZ4F_isError(LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))) == 0, let context else {
            throw .decompression(.lz4, "could not create an LZ4F context")
        }
        defer { LZ4F_freeDecompressionContext(context) }
        guard let base = input.baseAddress, !input.isEmpty else { throw .decompression(.lz4, "no compressed bytes") }
        var consumed = 0
        var output = DecompressionOutput(codec: .lz4, maxBytes: maxBytes, expected: input.count * 4)
        var before = (read: -1, written: -1)
        while true {
            let hint = try output.fill { space in
                var written = space.count
                var read = input.count - consumed
                let hint = LZ4F_decompress(context, space.baseAddress, &written, base + consumed, &read, nil)
                consumed += read
                return (hint, written)
            }
            if LZ4F_isError(hint) != 0 {
                throw .decompression(.lz4, String(cString: LZ4F_getErrorName(hint)))
            }
            if hint == 0, consumed == input.count { return try output.finish() }
            if consumed == input.count, !output.isFull {
                throw .decompression(.lz4, "the compressed data ends before the LZ4 frame does")
            }
            // A step that neither reads nor writes would repeat forever.
            guard (consumed, output.produced) != before else { throw .decompression(.lz4, "the decoder made no progress") }
            before = (consumed, output.produced)
        }
    }

    static func compress(_ input: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: LZ4F_compressFrameBound(input.count, nil))
        let written = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { target in
                LZ4F_compressFrame(target.baseAddress, target.count, source.baseAddress, source.count, nil)
            }
        }
        precondition(LZ4F_isError(written) == 0, "LZ4F_compressFrame failed")
        output.removeLast(output.count - written)
        return output
    }
}
