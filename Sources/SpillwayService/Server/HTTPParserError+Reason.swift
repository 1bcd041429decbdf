import NIOHTTP1

extension HTTPParserError {
    /// What the client got wrong, in words it can act on. NIO's own descriptions
    /// name the parser's state ("strict mode assertion", "unknown (http_parser
    /// error)"); several framing errors share `.unknown`, so the request's
    /// `Transfer-Encoding`, when its head was read, tells them apart.
    /// - Parameter transferEncoding: the request's `Transfer-Encoding`, when the error is in its body.
    func reason(inBody: Bool, transferEncoding: String?) -> String {
        if inBody {
            switch self {
            case .invalidChunkSize:
                return "a chunk size is not a hexadecimal number followed by CRLF"
            case .strictModeAssertion, .lfExpected:
                return "a chunk's data does not end where its size says, with CRLF (or a chunk line holds a byte HTTP does not allow)"
            case .invalidHeaderToken, .invalidCharactersUsed:
                return "a trailer field holds a byte HTTP does not allow"
            case .unknown:
                if let transferEncoding, transferEncoding.split(separator: ",").last?.trimmingCharacters(in: .whitespaces).lowercased() != "chunked" {
                    return "Transfer-Encoding \"\(transferEncoding.prefix(100))\" does not end with chunked, so the body's length cannot be known"
                }
                return "a chunk line is not ended by CRLF"
            default:
                break
            }
        }
        switch self {
        case .invalidHeaderToken, .invalidCharactersUsed:
            return "a header holds a byte HTTP does not allow (a control byte, or a space before the colon)"
        case .invalidContentLength:
            return "Content-Length is not a number, or is sent with Transfer-Encoding"
        case .unexpectedContentLength:
            return "Content-Length is given twice, or with Transfer-Encoding"
        case .unknown:
            return "Transfer-Encoding must end with chunked, and every line must end with CRLF"
        case .lfExpected:
            return "a line is not ended by CRLF"
        case .invalidMethod:
            return "the request line does not begin with a method"
        case .invalidURL:
            return "the request target is not a valid path"
        case .invalidVersion, .invalidConstant:
            return "the request line is not METHOD PATH HTTP/1.1 ended by CRLF"
        case .headerOverflow:
            return "the request head is too large"
        default:
            return debugDescription
        }
    }
}
