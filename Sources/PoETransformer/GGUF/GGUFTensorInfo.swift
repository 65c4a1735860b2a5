/// Where a tensor lives in a GGUF file and what it holds.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// The tensor's name (`blk.0.attn_q.weight`).
    public let name: String
    /// The element type.
    public let type: GGMLType
    /// ggml's order: `shape[0]` is the length of a row (the fastest-varying dimension).
    public let shape: [Int]
    /// Offset from the start of the file's data section.
    public let offset: Int
    /// How many bytes its data takes.
    public let byteCount: Int

    /// How many values it holds.
    public var elementCount: Int { shape.reduce(1, *) }
    /// Elements per row, `shape[0]`.
    public var rowLength: Int { shape[0] }
    /// Rows: the product of every dimension but the first.
    public var rowCount: Int { shape.dropFirst().reduce(1, *) }
}
