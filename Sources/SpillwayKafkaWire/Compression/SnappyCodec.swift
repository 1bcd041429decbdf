import CSnappy

/// snappy (attributes 2), raw as librdkafka writes it, or in the xerial framing
/// the Java client's SnappyOutputStream writes: an 8-byte magic, two int32
/// versions, then blocks of int32 length + raw snappy.
enum SnappyCodec {
    static let xerialMagic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]
    /// Magic + version + compatible version.
    static let xerialHeaderBytes = 16
    /// The block size Java's SnappyOutputStream uses.
    static let xerialBlockBytes = 32 * 1024

    static func decompress(_ input: UnsafeRawBufferPointer, maxBytes: Int) throws(RecordBatchError) -> [UInt8] {
        if input.count >= xerialHeaderBytes, input.prefix(8).elementsEqual(xerialMagic) {
            var output: [UInt8] = []
            var position = xerialHeaderBytes
            while position < input.count {
                guard input.count - position >= 4 else { throw .decompression(.snappy, "xerial block length cut short") }
                let length = Int(UInt32(bigEndian: input.loadUnaligned(fromByteOffset: position, as: UInt32.self)))
                position += 4
                guard length <= input.count - position else {
                    throw .decompression(.snappy, "xerial block of \(length) bytes but only \(input.count - position) left")
                }
                let block = UnsafeRawBufferPointer(rebasing: input[position..<position + length])
                output += try decompressRaw(block, room: maxBytes - output.count, maxBytes: maxBytes)
                position += length
            }
            return output
        }
        return try decompressRaw(input, room: maxBytes, maxBytes: maxBytes)
    }

    /// One raw block, refused if it would take more than `room` bytes (of `maxBytes` in all).
    private static func decompressRaw(_ input: UnsafeRawBufferPointer, room: Int, maxBytes: Int) throws(RecordBatchError) -> [UInt8] {
        let source = input.baseAddress?.assumingMemoryBound(to: CChar.self)
        var length = 0
        guard snappy_uncompressed_length(source, input.count, &length) == SNAPPY_OK else {
            throw .decompression(.snappy, "not a snappy block (bad length preamble)")
        }
        // Snappy states its length up front: refuse a bomb before allocating it.
        guard length <= room else { throw DecompressionOutput.overBound(.snappy, maxBytes: maxBytes) }
        let expected = length
        var status = SNAPPY_OK
        // Not zero-filled first: snappy writes every byte it reports, and a short block is refused.
        let output = [UInt8](unsafeUninitializedCapacity: expected) { target, count in
            status = snappy_uncompress(source, input.count, UnsafeMutableRawPointer(target.baseAddress)?.assumingMemoryBound(to: CChar.self), &length)
            count = status == SNAPPY_OK && length == expected ? expected : 0
        }
        guard status == SNAPPY_OK, length == expected else { throw .decompression(.snappy, "corrupt snappy block") }
        return output
    }

    static func compress(_ input: [UInt8], xerialFraming: Bool = false) -> [UInt8] {
        guard xerialFraming else { return compressRaw(input[...]) }
        var output = xerialMagic + [0, 0, 0, 1, 0, 0, 0, 1]
        var start = 0
        repeat {
            let block = compressRaw(input[start..<min(input.count, start + xerialBlockBytes)])
            withUnsafeBytes(of: UInt32(block.count).bigEndian) { output += $0 }
            output += block
            start += xerialBlockBytes
        } while start < input.count
        return output
    }

    private static func compressRaw(_ input: ArraySlice<UInt8>) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: snappy_max_compressed_length(input.count))
        var length = output.count
        let status = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { target in
                snappy_compress(
                    source.baseAddress?.assumingMemoryBound(to: CChar.self), source.count,
                    target.baseAddress?.assumingMemoryBound(to: CChar.self), &length
                )
            }
        }
        precondition(status == SNAPPY_OK, "snappy_compress failed: \(status)")
        output.removeLast(output.count - length)
        return output
    }
}
