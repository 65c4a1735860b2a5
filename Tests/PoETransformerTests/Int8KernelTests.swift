import Foundation
import PoEKernels
import PoETransformer
import Testing

/// The opt-in 8-bit activations (`poe_quantize_activations`, `poe_matmul_q8`) on random blocks of every
/// block format: the rounding is the one documented, products with activations that round exactly equal
/// the dot products of dequantized rows, and every implementation gives the portable code's bits whatever
/// the batch.
@Suite struct Int8KernelTests {
    static let types = dequantizableTypes.filter { poe_supports_q8(Int32($0.rawValue)) == 1 }
    static let cases: [(GGMLType, Int32)] = types.flatMap { type in KernelTests.implementations.map { (type, $0) } }

    @Test func theBlockFormatsAreTheTypesTaken() {
        #expect(Self.types == [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K])
    }

    /// d = max|x| / 127, q = x / d rounded to nearest even, sum = d·Σq; a zero block has d = 0, and
    /// a non-finite value becomes 0 without disturbing the rest of its block. Every implementation.
    @Test(arguments: KernelTests.implementations)
    func roundingActivations(implementation: Int32) {
        var x = KernelTests.randomVectors(3, 64, seed: 21).map { $0 * 3 }
        for j in 64 ..< 96 { x[j] = 0 }  // vector 1's first block
        x[100] = .infinity
        x[101] = .nan
        x[140] = 2.5 / 127 * 3  // a tie, in a block whose largest magnitude is 3
        x[141] = -3
        let blocks = Self.quantize(x, vectors: 3, n: 64, implementation: implementation)
        for (b, block) in blocks.enumerated() {
            let values = Array(x[32 * b ..< 32 * b + 32])
            let finite = values.map { $0.isFinite ? $0 : 0 }
            let d = finite.map(abs).max()! / 127
            #expect(block.d == d, "block \(b): scale")
            let q = Self.bytes(block)
            for j in 0 ..< 32 {
                let expected = d == 0 || !values[j].isFinite ? 0 : Int8((values[j] * (1 / d)).rounded(.toNearestOrEven))
                #expect(q[j] == expected, "block \(b) value \(j): \(q[j]) for \(values[j])")
            }
            #expect(block.sum == d * Float(q.reduce(0) { $0 + Int($1) }), "block \(b): sum of the rounded values")
        }
        #expect(blocks[2].d == 0 && Self.bytes(blocks[2]).allSatisfy { $0 == 0 }, "an all-zero block")
    }

    /// Activations k · 2⁻⁷ with a ±127 in each block round exactly (d = 2⁻⁷), so the integer product must
    /// equal the exact dot product of the dequantized row with them, within float32 rounding.
    @Test(arguments: cases)
    func productsOfExactActivationsAreDotProducts(type: GGMLType, implementation: Int32) throws {
        let n = 512, rows = 7, vectors = 3
        let matrix = KernelTests.randomMatrix(type, rows: rows, values: n, seed: 13)
        var random = SplitMix64(seed: 4)
        let x = (0 ..< vectors * n).map { j -> Float in
            let k = j % 32 == 5 ? (j % 64 < 32 ? 127 : -127) : Int(random.next() % 255) - 127
            return Float(k) / 128
        }
        let y = try Self.product(type, implementation, matrix, rows: 0 ..< rows, n: n, x: x, vectors: vectors)
        let worst = KernelTests.worstRelativeError(y, type: type, matrix: matrix, rows: rows, n: n, x: x, vectors: vectors)
        #expect(worst <= 1e-5, "\(type) implementation \(implementation): relative error \(worst)")
    }

    /// The largest byte products (Q8_0 weights of −128 against activations of ±127) do not saturate.
    @Test(arguments: KernelTests.implementations)
    func extremeBytesDoNotSaturate(implementation: Int32) throws {
        var block: [UInt8] = [0x00, 0x3C]  // d = 1 (f16)
        block += [UInt8](repeating: 0x80, count: 32)  // q = −128
        let x = (0 ..< 32).map { Float($0 % 2 == 0 ? -127 : 127) / 128 * ($0 < 16 ? 1 : -1) }
        let y = try Self.product(.q8_0, implementation, KernelTests.Matrix(bytes: block, rowBytes: 34), rows: 0 ..< 1, n: 32, x: x, vectors: 1)
        let exact = x.reduce(0) { $0 + Double($1) * -128 }
        #expect(Double(y[0]) == exact)
    }

    /// Every implementation gives the portable code's bits, for vectors alone or 20 at a time (past the
    /// kernel's group of 16), and a call writes only the rows it is given.
    @Test(arguments: cases)
    func implementationsAgreeWhateverTheBatch(type: GGMLType, implementation: Int32) throws {
        let n = 512, rows = 6, vectors = 20
        let matrix = KernelTests.randomMatrix(type, rows: rows, values: n, seed: 17)
        let x = KernelTests.randomVectors(vectors, n, seed: 19)
        let reference = try Self.product(type, 0, matrix, rows: 2 ..< 5, n: n, x: x, vectors: vectors)
        let together = try Self.product(type, implementation, matrix, rows: 2 ..< 5, n: n, x: x, vectors: vectors)
        #expect(together.map(\.bitPattern) == reference.map(\.bitPattern), "\(type) implementation \(implementation)")
        for i in [0, 7, 19] {
            let alone = try Self.product(type, implementation, matrix, rows: 2 ..< 5, n: n, x: Array(x[i * n ..< (i + 1) * n]), vectors: 1)
            #expect(alone[2 ..< 5].map(\.bitPattern) == together[i * rows + 2 ..< i * rows + 5].map(\.bitPattern), "\(type): vector \(i)")
            #expect(alone[0].isNaN && alone[5].isNaN, "rows outside the range are not written")
        }
    }

    @Test func typesWithoutBlocksAreRefused() {
        var out = [Float](repeating: 0, count: 256)
        let bytes = [UInt8](repeating: 0, count: 1024)
        let x = Self.quantize([Float](repeating: 0, count: 256), vectors: 1, n: 256)
        for implementation in KernelTests.implementations {
            for type in [GGMLType.f32, .f16, .bf16, .q2_K, .q8_K] {
                let status = bytes.withUnsafeBytes { w in
                    x.withUnsafeBufferPointer { poe_matmul_q8_using(implementation, Int32(type.rawValue), w.baseAddress, 84, 0, 1, 256, $0.baseAddress, 1, &out, 1) }
                }
                #expect(status == -1, "\(type) implementation \(implementation)")
            }
        }
    }

    // MARK: Helpers

    static func quantize(_ x: [Float], vectors: Int, n: Int, implementation: Int32 = poe_simd_level()) -> [poe_q8_block] {
        var blocks = [poe_q8_block](repeating: poe_q8_block(), count: vectors * n / 32)
        poe_quantize_activations_using(implementation, x, n, Int32(vectors), Int32(n), &blocks)
        return blocks
    }

    static func bytes(_ block: poe_q8_block) -> [Int8] {
        withUnsafeBytes(of: block.q) { Array($0.bindMemory(to: Int8.self)) }
    }

    static func product(
        _ type: GGMLType, _ implementation: Int32, _ matrix: KernelTests.Matrix, rows: Range<Int>, n: Int, x: [Float], vectors: Int
    ) throws -> [Float] {
        let allRows = matrix.bytes.count / matrix.rowBytes
        let blocks = quantize(x, vectors: vectors, n: n, implementation: implementation)
        var y = [Float](repeating: .nan, count: vectors * allRows)
        let status = matrix.bytes.withUnsafeBytes { w in
            blocks.withUnsafeBufferPointer { xq in
                poe_matmul_q8_using(
                    implementation, Int32(type.rawValue), w.baseAddress, matrix.rowBytes, Int32(rows.lowerBound), Int32(rows.upperBound),
                    Int32(n), xq.baseAddress, Int32(vectors), &y, allRows)
            }
        }
        try #require(status == 0)
        return y
    }
}
