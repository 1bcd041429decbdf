import CZlib

/// gzip (attributes 1), with zlib: Kafka's clients write one gzip member; more
/// members are read in turn, as Java's GZIPInputStream does.
enum GzipCodec {
    static func decompress(_ input: UnsafeRawBufferPointer, maxBytes: Int) throws(RecordBatchError) -> [UInt8] {
        var stream = z_stream()
        // 15 + 16: a gzip wrapper around a 32 KiB window.
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .decompression(.gzip, "zlib could not start (out of memory?)")
        }
        defer { inflateEnd(&stream) }
        guard let base = input.baseAddress, !input.isEmpty else { throw .decompression(.gzip, "no compressed bytes") }
        stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        var output = DecompressionOutput(codec: .gzip, maxBytes: maxBytes, expected: input.count * 4)
        while true {
            let status = try output.fill { space in
                stream.next_out = space.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(space.count)
                let status = inflate(&stream, Z_NO_FLUSH)
                return (status, space.count - Int(stream.avail_out))
            }
            switch status {
            case Z_STREAM_END:
                if stream.avail_in == 0 { return try output.finish() }
                guard inflateReset(&stream) == Z_OK else { throw .decompression(.gzip, "zlib could not start the next member") }
            case Z_OK:
                continue
            case Z_BUF_ERROR where output.isFull:
                continue
            case Z_BUF_ERROR:
                throw .decompression(.gzip, "the compressed data ends before the gzip stream does")
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw .decompression(.gzip, message)
            }
        }
    }

    static func compress(_ input: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        let started = deflateInit2_(
            &stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)
        )
        precondition(started == Z_OK, "zlib deflateInit2 failed: \(started)")
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 32)
        var input = input
        let written = input.withUnsafeMutableBytes { source in
            output.withUnsafeMutableBytes { target in
                stream.next_in = source.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(target.count)
                let status = deflate(&stream, Z_FINISH)
                precondition(status == Z_STREAM_END, "zlib deflate did not finish: \(status)")
                return target.count - Int(stream.avail_out)
            }
        }
        output.removeLast(output.count - written)
        return output
    }
}
