/// A GGUF file (versions 2 and 3), memory-mapped: its metadata, tensor infos and tensor bytes.
///
/// Every length and offset in the file is checked against the file's size before it is used, so a
/// truncated or hostile file gives a `GGUFError` that names the problem, never a crash.
public final class GGUFFile: Sendable {
    /// The file's path, as given.
    public let path: String
    /// The GGUF version (2 or 3).
    public let version: UInt32
    /// The key-value metadata.
    public let metadata: GGUFMetadata
    /// In file order.
    public let tensors: [GGUFTensorInfo]
    /// The alignment of tensor data (`general.alignment`, else `defaultAlignment`).
    public let alignment: Int
    /// Where the data section starts in the file.
    public let dataOffset: Int

    private let file: MappedFile
    private let tensorIndex: [String: Int]

    /// GGUF's alignment where a file does not give one.
    public static let defaultAlignment = 32
    static let maximumArrayNesting = 8

    /// Maps and checks the file at `path`: its header, metadata and tensor table, every tensor's type,
    /// shape and place inside the file. Throws one `GGUFError` that says what is wrong and where.
    public convenience init(path: String) throws(GGUFError) {
        try self.init(file: MappedFile(path: path))
    }

    package init(file: MappedFile) throws(GGUFError) {
        self.file = file
        path = file.path
        do throws(GGUFProblem) {
            var reader = ByteReader(file.bytes)
            let magic = try reader.read(UInt32.self, for: "the magic number")
            guard magic == 0x4655_4747 else {  // "GGUF" read as a little-endian UInt32
                throw .notGGUF(magic: Array(file.bytes.prefix(4)))
            }
            version = try reader.read(UInt32.self, for: "the version")
            guard version == 2 || version == 3 else { throw .unsupportedVersion(version) }
            let tensorCount = try reader.read(UInt64.self, for: "the tensor count")
            let keyCount = try reader.read(UInt64.self, for: "the metadata key count")
            // Each key needs at least a length and a type; each tensor at least a name length, a dimension
            // count, a type and an offset. Checking up front keeps a hostile count from driving allocation.
            guard keyCount <= UInt64(reader.remaining / 12) else {
                throw .countPastEnd(of: "the metadata key count", count: keyCount, remaining: reader.remaining)
            }
            guard tensorCount <= UInt64(reader.remaining / 24) else {
                throw .countPastEnd(of: "the tensor count", count: tensorCount, remaining: reader.remaining)
            }

            var metadata = GGUFMetadata()
            for index in 0 ..< Int(keyCount) {
                let key = try reader.readString(for: "metadata key #\(index)")
                let rawType = try reader.read(UInt32.self, for: "the type of metadata key '\(key)'")
                let value = try Self.readValue(rawType: rawType, key: key, depth: 0, from: &reader)
                guard metadata.insert(key, value) else { throw .duplicateKey(key) }
            }
            self.metadata = metadata

            let alignmentKey = "general.alignment"
            if let value = metadata[alignmentKey] {
                guard let a = value.integer, a > 0, a.nonzeroBitCount == 1 else {
                    throw .invalidAlignment(key: alignmentKey, value: "\(value)")
                }
                alignment = a
            } else {
                alignment = Self.defaultAlignment
            }

            var infos: [GGUFTensorInfo] = []
            infos.reserveCapacity(Int(tensorCount))
            var rawOffsets: [UInt64] = []
            var index: [String: Int] = [:]
            for number in 0 ..< Int(tensorCount) {
                let name = try reader.readString(for: "the name of tensor #\(number)")
                let dimensionCount = try reader.read(UInt32.self, for: "the dimension count of tensor '\(name)'")
                guard (1 ... 4).contains(dimensionCount) else {
                    throw .tooManyDimensions(tensor: name, count: dimensionCount)
                }
                var rawShape: [UInt64] = []
                for d in 0 ..< Int(dimensionCount) {
                    rawShape.append(try reader.read(UInt64.self, for: "dimension \(d) of tensor '\(name)'"))
                }
                let rawType = try reader.read(UInt32.self, for: "the type of tensor '\(name)'")
                let offset = try reader.read(UInt64.self, for: "the data offset of tensor '\(name)'")
                guard let type = GGMLType(rawValue: rawType) else {
                    throw .unknownTensorType(tensor: name, rawValue: rawType)
                }
                guard let shape = Self.validShape(rawShape) else {
                    throw .invalidShape(tensor: name, shape: rawShape)
                }
                let elements = shape.reduce(1, *)
                guard shape[0] % type.layout.blockElements == 0, let bytes = type.byteCount(elements: elements) else {
                    throw .partialBlock(tensor: name, type: type, rowLength: shape[0])
                }
                guard index[name] == nil else { throw .duplicateTensor(name) }
                index[name] = infos.count
                rawOffsets.append(offset)
                infos.append(GGUFTensorInfo(name: name, type: type, shape: shape, offset: 0, byteCount: bytes))
            }

            // The data section starts at the next multiple of the alignment after the header.
            let padding = (alignment - reader.offset % alignment) % alignment
            let start = reader.offset + padding
            let dataSize = max(0, file.bytes.count - start)
            if !infos.isEmpty { try reader.skip(to: start, for: "the padding before the tensor data") }
            for (i, info) in infos.enumerated() {
                let offset = rawOffsets[i]
                guard offset % UInt64(alignment) == 0 else {
                    throw .misalignedTensor(tensor: info.name, offset: offset, alignment: alignment)
                }
                guard offset <= UInt64(dataSize), UInt64(info.byteCount) <= UInt64(dataSize) - offset else {
                    throw .tensorPastEnd(tensor: info.name, offset: offset, size: info.byteCount, dataSize: dataSize)
                }
                infos[i] = GGUFTensorInfo(
                    name: info.name, type: info.type, shape: info.shape, offset: Int(offset), byteCount: info.byteCount)
            }
            tensors = infos
            tensorIndex = index
            dataOffset = start
        } catch {
            throw GGUFError(path: file.path, problem: error)
        }
    }

    /// The tensor with this name, if there is one.
    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The bytes of a tensor, valid as long as this file object lives.
    public func bytes(of tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.bytes[dataOffset + tensor.offset ..< dataOffset + tensor.offset + tensor.byteCount])
    }

    /// The size of the file in bytes.
    public var fileSize: Int { file.bytes.count }

    // MARK: - Parsing helpers

    /// Dimensions as `Int`s if each is positive and their product fits in an `Int`.
    private static func validShape(_ raw: [UInt64]) -> [Int]? {
        var product = 1
        var shape: [Int] = []
        for dimension in raw {
            guard dimension > 0, let d = Int(exactly: dimension) else { return nil }
            let (p, overflow) = product.multipliedReportingOverflow(by: d)
            guard !overflow else { return nil }
            product = p
            shape.append(d)
        }
        return shape
    }

    private static func readValue(
        rawType: UInt32, key: String, depth: Int, from reader: inout ByteReader
    ) throws(GGUFProblem) -> GGUFValue {
        guard let type = GGUFValueType(rawValue: rawType) else {
            throw .unknownValueType(key: key, rawValue: rawType)
        }
        let what = "the value of '\(key)'"
        switch type {
        case .uint8: return .uint8(try reader.read(UInt8.self, for: what))
        case .int8: return .int8(try reader.read(Int8.self, for: what))
        case .uint16: return .uint16(try reader.read(UInt16.self, for: what))
        case .int16: return .int16(try reader.read(Int16.self, for: what))
        case .uint32: return .uint32(try reader.read(UInt32.self, for: what))
        case .int32: return .int32(try reader.read(Int32.self, for: what))
        case .uint64: return .uint64(try reader.read(UInt64.self, for: what))
        case .int64: return .int64(try reader.read(Int64.self, for: what))
        case .float32: return .float32(try reader.readFloat(for: what))
        case .float64: return .float64(try reader.readDouble(for: what))
        case .bool: return .bool(try reader.read(UInt8.self, for: what) != 0)
        case .string: return .string(try reader.readString(for: what))
        case .array:
            guard depth < maximumArrayNesting else { throw .nestedTooDeep(key: key) }
            let rawElementType = try reader.read(UInt32.self, for: "the element type of '\(key)'")
            guard let elementType = GGUFValueType(rawValue: rawElementType) else {
                throw .unknownValueType(key: key, rawValue: rawElementType)
            }
            let count = try reader.read(UInt64.self, for: "the element count of '\(key)'")
            guard count <= UInt64(reader.remaining / elementType.minimumSize) else {
                throw .countPastEnd(of: "the array '\(key)'", count: count, remaining: reader.remaining)
            }
            var values: [GGUFValue] = []
            values.reserveCapacity(Int(count))
            for _ in 0 ..< Int(count) {
                values.append(try readValue(rawType: rawElementType, key: key, depth: depth + 1, from: &reader))
            }
            return .array(elementType: elementType, values: values)
        }
    }
}
