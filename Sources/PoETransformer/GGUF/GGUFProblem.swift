/// What is wrong with a GGUF file.
public enum GGUFProblem: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened or mapped.
    case cannotOpen(reason: String)
    /// The file is empty.
    case emptyFile
    /// The file does not start with `GGUF`.
    case notGGUF(magic: [UInt8])
    /// A GGUF version other than 2 or 3.
    case unsupportedVersion(UInt32)
    /// The file ends in the middle of what was being read.
    case truncated(reading: String, offset: Int, needed: Int, fileSize: Int)
    /// A string's length runs past the end of the file.
    case lengthPastEnd(of: String, length: UInt64, offset: Int, remaining: Int)
    /// A count (of keys, tensors or array elements) larger than the rest of the file could hold.
    case countPastEnd(of: String, count: UInt64, remaining: Int)
    /// A metadata value of a type GGUF does not define.
    case unknownValueType(key: String, rawValue: UInt32)
    /// Arrays nested deeper than any real file nests them.
    case nestedTooDeep(key: String)
    /// A metadata key that appears twice.
    case duplicateKey(String)
    /// `general.alignment` is not a power of two that fits.
    case invalidAlignment(key: String, value: String)
    /// A tensor with more than four dimensions.
    case tooManyDimensions(tensor: String, count: UInt32)
    /// A tensor whose shape is zero in some dimension or too large to address.
    case invalidShape(tensor: String, shape: [UInt64])
    /// A tensor type ggml does not define.
    case unknownTensorType(tensor: String, rawValue: UInt32)
    /// A row that is not a whole number of its type's blocks.
    case partialBlock(tensor: String, type: GGMLType, rowLength: Int)
    /// A tensor name that appears twice.
    case duplicateTensor(String)
    /// A tensor's data not aligned as the file says.
    case misalignedTensor(tensor: String, offset: UInt64, alignment: Int)
    /// A tensor's data runs past the end of the file.
    case tensorPastEnd(tensor: String, offset: UInt64, size: Int, dataSize: Int)

    public var description: String {
        switch self {
        case let .cannotOpen(reason):
            "cannot open the file: \(reason)"
        case .emptyFile:
            "the file is empty"
        case let .notGGUF(magic):
            "not a GGUF file: it starts with bytes \(magic.map(hexByte).joined(separator: " ")) instead of 'GGUF'"
        case let .unsupportedVersion(version):
            version > 0xFFFF
                ? "unsupported GGUF version \(version) (a big-endian file? only little-endian versions 2 and 3 are read)"
                : "unsupported GGUF version \(version) (versions 2 and 3 are read)"
        case let .truncated(reading, offset, needed, fileSize):
            "the file is truncated: reading \(reading) needs \(needed) bytes at offset \(offset), past the end of the \(fileSize)-byte file"
        case let .lengthPastEnd(what, length, offset, remaining):
            "\(what) at offset \(offset) claims \(length) bytes but only \(remaining) remain in the file"
        case let .countPastEnd(what, count, remaining):
            "\(what) claims \(count) entries, more than the \(remaining) bytes left in the file could hold"
        case let .unknownValueType(key, raw):
            "metadata key '\(key)' has unknown value type \(raw)"
        case let .nestedTooDeep(key):
            "metadata key '\(key)' nests arrays too deeply"
        case let .duplicateKey(key):
            "metadata key '\(key)' appears twice"
        case let .invalidAlignment(key, value):
            "'\(key)' is \(value), but the alignment must be a power of two"
        case let .tooManyDimensions(tensor, count):
            "tensor '\(tensor)' has \(count) dimensions (at most 4 are allowed)"
        case let .invalidShape(tensor, shape):
            "tensor '\(tensor)' has an invalid shape \(shape) (a zero or an overflowing element count)"
        case let .unknownTensorType(tensor, raw):
            "tensor '\(tensor)' has unknown tensor type \(raw)"
        case let .partialBlock(tensor, type, rowLength):
            "tensor '\(tensor)' has rows of \(rowLength) elements, not a whole number of \(type) blocks of \(type.layout.blockElements)"
        case let .duplicateTensor(name):
            "tensor '\(name)' appears twice"
        case let .misalignedTensor(tensor, offset, alignment):
            "tensor '\(tensor)' starts at data offset \(offset), which is not a multiple of the alignment \(alignment)"
        case let .tensorPastEnd(tensor, offset, size, dataSize):
            "tensor '\(tensor)' spans \(size) bytes from data offset \(offset), past the end of the \(dataSize)-byte data section"
        }
    }
}

private func hexByte(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
}
