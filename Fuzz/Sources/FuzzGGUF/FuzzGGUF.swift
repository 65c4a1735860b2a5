import Foundation
import FuzzSupport
import PoE
import PoETransformer

/// Any bytes as a GGUF file, taken as far as `poe` takes one: the header, metadata and tensor table;
/// every tensor's first rows dequantized; the tokenizer; the model, and a short run through it. Each
/// step may throw (that is the point: a clear error); none may crash, hang or leak.
private let scratch = ScratchFile(suffix: ".gguf")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUF(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    scratch.write(fuzzBytes(data, size))
    guard let file = try? GGUFFile(path: scratch.path) else { return 0 }
    for tensor in file.tensors.prefix(32) where tensor.type.isDequantizable {
        // The first row (a whole number of blocks, as the engine reads them).
        let count = tensor.rowLength
        guard let bytes = tensor.type.byteCount(elements: count), bytes <= tensor.byteCount else { continue }
        var values = [Float](repeating: 0, count: count)
        let source = file.bytes(of: tensor)
        guard let base = source.baseAddress else { continue }
        values.withUnsafeMutableBufferPointer { try? dequantize(tensor.type, from: base, count: count, into: $0.baseAddress!, tensor: tensor.name) }
    }
    if let tokenizer = try? GGUFTokenizer(metadata: file.metadata) {
        _ = try? tokenizer.encode("Hello, world! <bos> 123", addSpecial: true, parseSpecial: true)
        _ = tokenizer.decode(Array(0 ..< TokenID(min(tokenizer.vocabulary.count, 64))))
    }
    guard let model = try? Transformer(file: file), let session = try? model.makeSession(capacity: 8) else { return 0 }
    let tokens = (0 ..< 3).map { TokenID($0 % model.vocabulary.count) }
    _ = try? session.append(tokens, logits: .all)
    if let other = try? model.makeSession(capacity: 8) {
        _ = try? model.decode([session, other], tokens: [tokens[0], tokens[1]])
    }
    return 0
}
