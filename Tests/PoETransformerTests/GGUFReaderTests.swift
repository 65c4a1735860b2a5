import Foundation
import PoE
import PoETransformer
import Testing

@Suite struct GGUFReaderTests {
    /// A small well-formed file with every metadata type, nested arrays and two tensors.
    static func sample(version: UInt32 = 3, alignment: Int = 32) -> GGUFWriter {
        var writer = GGUFWriter()
        writer.version = version
        writer.alignment = alignment
        writer.metadata = [
            ("general.architecture", .string("llama")),
            ("u8", .uint8(200)), ("i8", .int8(-100)), ("u16", .uint16(60_000)), ("i16", .int16(-30_000)),
            ("u32", .uint32(4_000_000_000)), ("i32", .int32(-2_000_000_000)),
            ("u64", .uint64(1 << 40)), ("i64", .int64(-(1 << 40))),
            ("f32", .float32(0.25)), ("f64", .float64(-1e100)), ("yes", .bool(true)),
            ("text", .string("héllo ▁ 🦙")),
            ("strings", .array(elementType: .string, values: [.string("a"), .string(""), .string("ccc")])),
            ("nested", .array(elementType: .array, values: [
                .array(elementType: .int32, values: [.int32(1), .int32(2)]),
                .array(elementType: .int32, values: []),
            ])),
        ]
        if alignment != 32 { writer.metadata.append(("general.alignment", .uint32(UInt32(alignment)))) }
        writer.tensors = [
            .init(name: "a", type: .f32, shape: [4, 2], data: [Float](repeating: 1.5, count: 8).f32Bytes),
            .init(name: "b", type: .q8_0, shape: [32], data: [UInt8](repeating: 0, count: 34)),
        ]
        return writer
    }

    @Test(arguments: [2, 3] as [UInt32], [32, 64] as [Int])
    func readsEveryValueTypeAndTensorLayout(version: UInt32, alignment: Int) throws {
        let file = try GGUFFile(path: Self.sample(version: version, alignment: alignment).write())
        let m = file.metadata
        #expect(file.version == version)
        #expect(file.alignment == alignment)
        #expect(m["u8"] == .uint8(200) && m["i8"] == .int8(-100) && m["u16"] == .uint16(60_000))
        #expect(m["i16"] == .int16(-30_000) && m["u32"] == .uint32(4_000_000_000) && m["i32"] == .int32(-2_000_000_000))
        #expect(m["u64"] == .uint64(1 << 40) && m["i64"] == .int64(-(1 << 40)))
        #expect(m["f32"] == .float32(0.25) && m["f64"] == .float64(-1e100) && m["yes"] == .bool(true))
        #expect(try m.string("text") == "héllo ▁ 🦙")
        #expect(try m.strings("strings") == ["a", "", "ccc"])
        #expect(m["nested"]?.array?.first?.array == [.int32(1), .int32(2)])
        #expect(m.keys.first == "general.architecture")
        #expect(file.tensors.map(\.name) == ["a", "b"])
        let a = try #require(file.tensor(named: "a"))
        #expect(a.shape == [4, 2] && a.rowLength == 4 && a.rowCount == 2 && a.byteCount == 32)
        #expect(file.dataOffset % alignment == 0)
        let values = file.bytes(of: a).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(values == [Float](repeating: 1.5, count: 8))
        #expect(file.tensor(named: "b")?.offset == alignment)
    }

    @Test func typedAccessorsNameTheKey() throws {
        let file = try GGUFFile(path: Self.sample().write())
        #expect(throws: GGUFMetadataError.wrongType(key: "text", expected: "an integer", found: .string)) {
            try file.metadata.integer("text")
        }
        #expect(throws: GGUFMetadataError.missingKey("nope")) { try file.metadata.requireInteger("nope") }
        #expect(try file.metadata.integer("nope") == nil)
    }

    @Test func readsTheRealFiles() throws {
        let gemma = try RealModels.named("gemma-3-270m").file
        #expect(gemma.version == 3 && gemma.tensors.count == 236)
        #expect(try gemma.metadata.integer("gemma3.block_count") == 18)
        #expect(try gemma.metadata.integer("gemma3.attention.sliding_window") == 512)
        #expect(gemma.tensor(named: "token_embd.weight")?.shape == [640, 262_144])
        let smollm = try RealModels.named("smollm2-135m-instruct").file
        #expect(smollm.tensors.count == 272)
        #expect(try smollm.metadata.string("tokenizer.ggml.pre") == "smollm")
        #expect(try smollm.metadata.strings("tokenizer.ggml.merges")?.count == 48_900)
    }
}

/// Broken and hostile files: each gives a `GGUFError` naming the problem, never a crash.
@Suite struct HostileGGUFTests {
    func problem(_ bytes: [UInt8]) throws -> GGUFProblem? {
        let path = try GGUFWriter().write(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try GGUFFile(path: path)
            return nil
        } catch {
            #expect(error.path == path)
            return error.problem
        }
    }

    @Test func wrongMagic() throws {
        var writer = GGUFReaderTests.sample()
        writer.magic = Array("GGML".utf8)
        #expect(try problem(writer.bytes()) == .notGGUF(magic: Array("GGML".utf8)))
    }

    @Test(arguments: [1, 4, 0x0300_0000] as [UInt32])
    func unsupportedVersion(version: UInt32) throws {
        var writer = GGUFReaderTests.sample()
        writer.version = version
        #expect(try problem(writer.bytes()) == .unsupportedVersion(version))
    }

    @Test func emptyFile() throws {
        #expect(try problem([]) == .emptyFile)
    }

    /// Cutting the file at every byte of its header, and at points in its data, always gives an error.
    @Test func truncatedAnywhere() throws {
        let bytes = GGUFReaderTests.sample().bytes()
        let full = try GGUFFile(path: GGUFWriter().write(bytes))
        // The last tensor ends 66 bytes into the data section; past that is only padding.
        let cuts = Array(1 ..< full.dataOffset) + [full.dataOffset + 1, full.dataOffset + 40, full.dataOffset + 65]
        for cut in cuts {
            let found = try problem(Array(bytes.prefix(cut)))
            #expect(found != nil, "cut at \(cut) was accepted")
        }
    }

    @Test func stringLongerThanTheFile() throws {
        var writer = GGUFWriter()
        var value: [UInt8] = []
        value.append(le: UInt64(1 << 40))  // a 1 TiB string
        value += Array("short".utf8)
        writer.rawMetadata = [("general.name", GGUFValueType.string.rawValue, value)]
        guard case .lengthPastEnd(let what, 1 << 40, _, _)? = try problem(writer.bytes()) else {
            Issue.record("expected lengthPastEnd")
            return
        }
        #expect(what.contains("general.name"))
    }

    @Test func arrayLongerThanTheFile() throws {
        var writer = GGUFWriter()
        var value: [UInt8] = []
        value.append(le: GGUFValueType.uint32.rawValue)
        value.append(le: UInt64.max / 2)
        writer.rawMetadata = [("tokenizer.ggml.token_type", GGUFValueType.array.rawValue, value)]
        #expect(try problem(writer.bytes()) == .countPastEnd(of: "the array 'tokenizer.ggml.token_type'", count: UInt64.max / 2, remaining: 0))
    }

    @Test func hugeKeyAndTensorCounts() throws {
        var bytes = Array("GGUF".utf8)
        bytes.append(le: UInt32(3))
        bytes.append(le: UInt64(0))
        bytes.append(le: UInt64.max)
        #expect(try problem(bytes) == .countPastEnd(of: "the metadata key count", count: UInt64.max, remaining: 0))
    }

    @Test func unknownValueType() throws {
        var writer = GGUFWriter()
        writer.rawMetadata = [("weird", 99, [0, 0, 0, 0])]
        #expect(try problem(writer.bytes()) == .unknownValueType(key: "weird", rawValue: 99))
    }

    @Test func deeplyNestedArrays() throws {
        var value: GGUFValue = .array(elementType: .int8, values: [])
        for _ in 0 ..< 20 { value = .array(elementType: .array, values: [value]) }
        var writer = GGUFWriter()
        writer.metadata = [("deep", value)]
        #expect(try problem(writer.bytes()) == .nestedTooDeep(key: "deep"))
    }

    @Test func duplicateKey() throws {
        var writer = GGUFWriter()
        writer.metadata = [("a", .int8(1)), ("a", .int8(2))]
        #expect(try problem(writer.bytes()) == .duplicateKey("a"))
    }

    @Test func badAlignment() throws {
        var writer = GGUFReaderTests.sample()
        writer.metadata.append(("general.alignment", .uint32(24)))
        #expect(try problem(writer.bytes()) == .invalidAlignment(key: "general.alignment", value: "uint32(24)"))
    }

    @Test func tensorPastTheEnd() throws {
        var writer = GGUFReaderTests.sample()
        writer.tensors[1].offset = 1 << 20
        guard case .tensorPastEnd("b", 1 << 20, 34, _)? = try problem(writer.bytes()) else {
            Issue.record("expected tensorPastEnd")
            return
        }
    }

    @Test func tensorOffsetOverflow() throws {
        var writer = GGUFReaderTests.sample()
        writer.tensors[1].offset = UInt64.max - 31
        guard case .tensorPastEnd("b", _, _, _)? = try problem(writer.bytes()) else {
            Issue.record("expected tensorPastEnd")
            return
        }
    }

    @Test func misalignedTensor() throws {
        var writer = GGUFReaderTests.sample()
        writer.tensors[1].offset = 33
        #expect(try problem(writer.bytes()) == .misalignedTensor(tensor: "b", offset: 33, alignment: 32))
    }

    @Test func unknownTensorType() throws {
        var writer = GGUFReaderTests.sample()
        writer.tensors[0].rawType = 77
        #expect(try problem(writer.bytes()) == .unknownTensorType(tensor: "a", rawValue: 77))
    }

    @Test func tooManyDimensions() throws {
        var writer = GGUFReaderTests.sample()
        writer.tensors[0].shape = [1, 1, 1, 1, 8]
        #expect(try problem(writer.bytes()) == .tooManyDimensions(tensor: "a", count: 5))
    }

    @Test func overflowingShape() throws {
        var writer = GGUFReaderTests.sample()
        writer.tensors[0].shape = [1 << 40, 1 << 40]
        #expect(try problem(writer.bytes()) == .invalidShape(tensor: "a", shape: [1 << 40, 1 << 40]))
        writer.tensors[0].shape = [0, 4]
        #expect(try problem(writer.bytes()) == .invalidShape(tensor: "a", shape: [0, 4]))
    }

    @Test func partialBlock() throws {
        var writer = GGUFReaderTests.sample()
        writer.tensors[1].shape = [33]
        #expect(try problem(writer.bytes()) == .partialBlock(tensor: "b", type: .q8_0, rowLength: 33))
    }

    @Test func duplicateTensor() throws {
        var writer = GGUFReaderTests.sample()
        writer.tensors[1].name = "a"
        #expect(try problem(writer.bytes()) == .duplicateTensor("a"))
    }

    @Test func notAFile() throws {
        #expect(throws: GGUFError.self) { try GGUFFile(path: "/nonexistent/model.gguf") }
        #expect(throws: GGUFError.self) { try GGUFFile(path: FileManager.default.temporaryDirectory.path) }
    }

    /// Random bytes after a valid magic and version: never a crash.
    /// Random bytes after a valid header: seeded, so that a failure names bytes that can be made again
    /// (the fuzz target `FuzzGGUF` explores far more).
    @Test(arguments: [1, 2, 3] as [UInt64])
    func randomGarbage(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        for _ in 0 ..< 200 {
            var bytes = Array("GGUF".utf8)
            bytes.append(le: UInt32(3))
            bytes += (0 ..< Int.random(in: 0 ..< 400, using: &generator)).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
            _ = try problem(bytes)
        }
    }
}
