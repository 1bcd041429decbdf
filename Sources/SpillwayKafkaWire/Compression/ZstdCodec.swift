import CZstd

/// zstd (attributes 4), streaming: producers' frames may not state their
/// content size, and the window a frame may demand is capped near the bound.
enum ZstdCodec {
    static func decompress(_ input: UnsafeRawBufferPointer, maxBytes: Int) throws(RecordBatchError) -> [UInt8] {
        guard let context = ZSTD_createDCtx() else { throw .decompression(.zstd, "could not create a zstd context") }
        defer { ZSTD_freeDCtx(context) }
        // A frame can ask for a window of up to 2 GiB. Streaming compressors (zstd-jni,
        // librdkafka) announce the window of their level whatever the input size:
        // 8 MiB covers levels up to 18, more only if the bound itself is larger.
        var windowLog: Int32 = 23
        while windowLog < 27, (1 << windowLog) < maxBytes { windowLog += 1 }
        _ = ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, windowLog)
        guard !input.isEmpty else { throw .decompression(.zstd, "no compressed bytes") }
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var output = DecompressionOutput(codec: .zstd, maxBytes: maxBytes, expected: input.count * 4)
        var before = (read: -1, written: -1)
        while true {
            let result = try output.fill { space in
                var target = ZSTD_outBuffer(dst: space.baseAddress, size: space.count, pos: 0)
                let result = ZSTD_decompressStream(context, &target, &source)
                return (result, target.pos)
            }
            if ZSTD_isError(result) != 0 {
                if ZSTD_getErrorCode(result) == ZSTD_error_frameParameter_windowTooLarge {
                    throw .tooLarge("zstd frame asks for a window over \(1 << windowLog) bytes (RecordBatchLimits.maxDecompressedBytes): refused as a possible decompression bomb")
                }
                throw .decompression(.zstd, String(cString: ZSTD_getErrorName(result)))
            }
            if result == 0, source.pos == source.size { return try output.finish() }
            if source.pos == source.size, !output.isFull {
                throw .decompression(.zstd, "the compressed data ends before the zstd frame does")
            }
            // A step that neither reads nor writes would repeat forever.
            guard (source.pos, output.produced) != before else { throw .decompression(.zstd, "the decoder made no progress") }
            before = (source.pos, output.produced)
        }
    }

    static func compress(_ input: [UInt8], level: Int32 = 3) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
        let written = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { target in
                ZSTD_compress(target.baseAddress, target.count, source.baseAddress, source.count, level)
            }
        }
        precondition(ZSTD_isError(written) == 0, "ZSTD_compress failed")
        output.removeLast(output.count - written)
        return output
    }
}
