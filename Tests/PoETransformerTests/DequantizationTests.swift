import Foundation
import PoEKernels
import PoETransformer
import Testing

/// Dequantized values must equal gguf-py's (relative error ≤ 1e-6), on synthetic blocks of every type we
/// read and on rows of every tensor type in the two real files.
@Suite struct DequantizationTests {
    static let fixture = Result { try Fixtures.load(DequantizationFixture.self, "dequantization.json") }

    @Test(arguments: dequantizableTypes)
    func syntheticBlocks(type: GGMLType) throws {
        let entry = try #require(try Self.fixture.get().synthetic.first { $0.type == type.description })
        let bytes = [UInt8](hex: entry.bytes)
        #expect(type.byteCount(elements: entry.values.count) == bytes.count)
        let values = try decode(type, bytes: bytes, count: entry.values.count)
        expectEqual(values, entry.values, "synthetic \(type)")
    }

    @Test(arguments: RealModels.names)
    func rowsOfRealTensors(model: String) throws {
        let rows = try Self.fixture.get().rows.filter { $0.model == model }
        let file = try RealModels.named(model).file
        // Every tensor type in the file has rows in the fixture.
        #expect(Set(rows.map(\.type)) == Set(file.tensors.map(\.type.description)))
        for row in rows {
            let info = try #require(file.tensor(named: row.tensor))
            let rowBytes = try #require(info.type.byteCount(elements: info.rowLength))
            let bytes = file.bytes(of: info)
            let slice = Array(bytes[row.row * rowBytes ..< (row.row + 1) * rowBytes])
            let values = try decode(info.type, bytes: slice, count: info.rowLength)
            expectEqual(Array(values.prefix(row.values.count)), row.values, "\(row.tensor) row \(row.row)")
        }
    }

    @Test func unsupportedTypeThrowsNamingTheTensor() {
        let bytes = [UInt8](repeating: 0, count: 84)
        #expect(throws: UnsupportedTensorType(tensor: "blk.0.attn_q.weight", type: .q2_K)) {
            _ = try bytes.withUnsafeBytes { raw in
                var out = [Float](repeating: 0, count: 256)
                try dequantize(.q2_K, from: raw.baseAddress!, count: 256, into: &out, tensor: "blk.0.attn_q.weight")
            }
        }
    }

    /// Decodes through the library, and checks that every kernel implementation gives the same bits.
    private func decode(_ type: GGMLType, bytes: [UInt8], count: Int) throws -> [Float] {
        var values = [Float](repeating: .nan, count: count)
        try bytes.withUnsafeBytes { raw in
            try dequantize(type, from: raw.baseAddress!, count: count, into: &values)
        }
        for implementation in KernelTests.implementations {
            var other = [Float](repeating: .nan, count: count)
            _ = bytes.withUnsafeBytes { poe_dequantize_using(implementation, Int32(type.rawValue), $0.baseAddress, count, &other) }
            #expect(other.map(\.bitPattern) == values.map(\.bitPattern), "\(type): implementation \(implementation)")
        }
        return values
    }

    private func expectEqual(_ values: [Float], _ expected: [Double], _ what: String) {
        #expect(values.count == expected.count, "\(what): count")
        var worst = 0.0
        for (value, reference) in zip(values, expected) {
            let error = abs(Double(value) - reference)
            worst = max(worst, reference == 0 ? error : error / abs(reference))
        }
        print("[dequantization] \(what): \(values.count) values, worst relative error \(worst)")
        #expect(worst <= 1e-6, "\(what): worst relative error \(worst)")
    }
}
