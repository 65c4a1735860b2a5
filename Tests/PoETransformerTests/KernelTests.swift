import Foundation
import PoEKernels
import PoETransformer
import Testing

/// The C kernels on random blocks of every type, in every implementation this CPU has: the SIMD code
/// dequantizes bit for bit like the portable code, products equal the dot products of dequantized rows to
/// float32 accuracy, and a vector's result does not depend on how many vectors share the call.
@Suite struct KernelTests {
    /// 0 (portable) everywhere, 1 (AVX2) and 2 (AVX-512) where the CPU has them.
    static let implementations: [Int32] = Array(0 ... poe_simd_level())

    static let cases: [(GGMLType, Int32)] = dequantizableTypes.flatMap { type in implementations.map { (type, $0) } }

    @Test(arguments: dequantizableTypes)
    func implementationsDequantizeAlike(type: GGMLType) throws {
        let n = 2 * type.layout.blockElements * 8 + (type.layout.blockElements == 1 ? 5 : 0)  // float types: a ragged tail too
        let bytes = Self.randomRow(type, values: n, seed: 7)
        let results = Self.implementations.map { implementation in
            var values = [Float](repeating: .nan, count: n)
            let status = bytes.withUnsafeBytes { poe_dequantize_using(implementation, Int32(type.rawValue), $0.baseAddress, n, &values) }
            #expect(status == 0)
            return values
        }
        for values in results.dropFirst() {
            #expect(values.map(\.bitPattern) == results[0].map(\.bitPattern), "\(type): a SIMD implementation differs from the portable one")
        }
        #expect(results[0].allSatisfy { $0.isFinite })
    }

    /// Each product within float32 rounding of the exact dot product of the dequantized row with the vector:
    /// |y − Σ w·x| ≤ 1e-5 · Σ |w·x| (the sum has a few hundred terms).
    @Test(arguments: cases)
    func productsEqualDotProductsOfDequantizedRows(type: GGMLType, implementation: Int32) throws {
        let n = type.layout.blockElements == 1 ? 260 : 512, rows = 7, vectors = 5
        let matrix = Self.randomMatrix(type, rows: rows, values: n, seed: 11)
        let x = Self.randomVectors(vectors, n, seed: 3)
        let y = try Self.product(type, implementation, matrix, rows: 0 ..< rows, n: n, x: x, vectors: vectors)
        let worst = Self.worstRelativeError(y, type: type, matrix: matrix, rows: rows, n: n, x: x, vectors: vectors)
        #expect(worst <= 1e-5, "\(type) implementation \(implementation): relative error \(worst)")
    }

    /// Vector i's results are the same bits whether it is multiplied alone or with up to 19 others (past the
    /// kernel's group of 16), and a call writes only the rows it is given.
    @Test(arguments: cases)
    func resultsDoNotDependOnBatching(type: GGMLType, implementation: Int32) throws {
        let n = type.layout.blockElements == 1 ? 64 : 256, rows = 6, vectors = 20
        let matrix = Self.randomMatrix(type, rows: rows, values: n, seed: 5)
        let x = Self.randomVectors(vectors, n, seed: 9)
        let together = try Self.product(type, implementation, matrix, rows: 2 ..< 5, n: n, x: x, vectors: vectors)
        for i in 0 ..< vectors {
            let alone = try Self.product(type, implementation, matrix, rows: 2 ..< 5, n: n, x: Array(x[i * n ..< (i + 1) * n]), vectors: 1)
            #expect(alone[2 ..< 5].map(\.bitPattern) == together[i * rows + 2 ..< i * rows + 5].map(\.bitPattern), "\(type): vector \(i)")
            #expect(alone[0].isNaN && alone[5].isNaN, "rows outside the range are not written")
        }
    }

    /// RMS normalization: every implementation gives the portable code's bits, within float rounding of
    /// the normalization computed in Double; rows of lengths with and without a ragged tail.
    @Test(arguments: [37, 640])
    func rmsNormImplementationsAgree(n: Int) {
        let rows = 3
        let x = Self.randomVectors(rows, n, seed: 21).enumerated().map { $1 * Float(1 + $0 % 7) * 40 }
        let weight = Self.randomVectors(1, n, seed: 22)
        let results = Self.implementations.map { implementation in
            var out = [Float](repeating: .nan, count: rows * n)
            poe_rms_norm_using(implementation, x, weight, Int32(n), Int32(rows), 1e-6, &out)
            return out
        }
        for (implementation, out) in zip(Self.implementations, results) {
            #expect(out.map(\.bitPattern) == results[0].map(\.bitPattern), "implementation \(implementation) differs from the portable one")
        }
        for r in 0 ..< rows {
            let row = x[r * n ..< (r + 1) * n].map(Double.init)
            let scale = 1 / (row.reduce(0) { $0 + $1 * $1 } / Double(n) + 1e-6).squareRoot()
            for i in 0 ..< n {
                let exact = row[i] * scale * Double(weight[i])
                #expect(abs(Double(results[0][r * n + i]) - exact) <= 1e-6 * max(1, abs(exact)), "row \(r) value \(i)")
            }
        }
    }

    /// LoRA's two kernels (down: x · A, up: y += scale · h · B, over a range of outputs) in every
    /// implementation, float32 and half storage, ranks with and without a ragged tail: the same bits, the
    /// same results however the outputs are split (as a product's threads split them) and however many rows
    /// are passed, and within float rounding of the term computed in Double.
    @Test(arguments: [(8, 64, 96), (5, 37, 23), (20, 40, 70)] as [(Int, Int, Int)])
    func loraKernelsAgree(rank: Int, inputs: Int, outputs: Int) {
        let rows = 3
        let x = Self.randomVectors(rows, inputs, seed: 31), start = Self.randomVectors(rows, outputs, seed: 32)
        let downFloats = Self.randomVectors(inputs, rank, seed: 33), upFloats = Self.randomVectors(rank, outputs, seed: 34)
        let downHalves = downFloats.map { Float16($0).bitPattern }, upHalves = upFloats.map { Float16($0).bitPattern }
        for half in [false, true] {
            let type = Int32(half ? POE_F16 : POE_F32)
            let down = half ? downHalves.map { Float(Float16(bitPattern: $0)) } : downFloats
            let up = half ? upHalves.map { Float(Float16(bitPattern: $0)) } : upFloats
            func run(_ implementation: Int32, rows m: Int, split: Int) -> [Float] {
                var hidden = [Float](repeating: .nan, count: m * rank), y = Array(start[0 ..< m * outputs])
                let call = { (downPointer: UnsafeRawPointer, upPointer: UnsafeRawPointer) in
                    poe_lora_down_using(implementation, Int32(m), Int32(inputs), Int32(rank), x, inputs, downPointer, type, &hidden)
                    for begin in stride(from: 0, to: outputs, by: split) {
                        poe_lora_up_using(implementation, Int32(m), Int32(rank), Int32(begin), Int32(min(begin + split, outputs)), Int32(outputs),
                                          upPointer, type, 0.75, hidden, &y, outputs)
                    }
                }
                if half {
                    downHalves.withUnsafeBytes { d in upHalves.withUnsafeBytes { u in call(d.baseAddress!, u.baseAddress!) } }
                } else {
                    downFloats.withUnsafeBytes { d in upFloats.withUnsafeBytes { u in call(d.baseAddress!, u.baseAddress!) } }
                }
                return y
            }
            let reference = run(0, rows: rows, split: outputs)
            for implementation in Self.implementations {
                for split in [outputs, 16, 7] {
                    #expect(run(implementation, rows: rows, split: split).map(\.bitPattern) == reference.map(\.bitPattern),
                            "implementation \(implementation), halves \(half), outputs in chunks of \(split)")
                }
                #expect(run(implementation, rows: 1, split: outputs).map(\.bitPattern) == reference[0 ..< outputs].map(\.bitPattern))
            }
            for r in 0 ..< rows {
                for o in 0 ..< outputs {
                    var exact = Double(start[r * outputs + o])
                    for k in 0 ..< rank {
                        let h = (0 ..< inputs).reduce(0.0) { $0 + Double(x[r * inputs + $1]) * Double(down[$1 * rank + k]) }
                        exact += 0.75 * h * Double(up[k * outputs + o])
                    }
                    #expect(abs(Double(reference[r * outputs + o]) - exact) <= 1e-4 * max(1, abs(exact)), "row \(r) output \(o)")
                }
            }
        }
    }

    /// One-query attention, in every implementation, with and without a soft cap, over a float32 cache and
    /// a cache of halves: heads that share keys give, together, each head's result alone (the same bits),
    /// within float rounding of the attention computed in Double (from the halves' exact values); head
    /// sizes with and without a ragged tail, odd and even key counts.
    @Test(arguments: [(40, 7, false), (256, 12, false), (40, 7, true), (256, 12, true), (37, 5, true)])
    func attentionOfAGroupIsEachHeadAlone(headSize: Int, count: Int, halves: Bool) {
        let heads = 6, stride = 2 * headSize  // keys and values interleaved with another head's, as in the cache
        let q = Self.randomVectors(heads, headSize, seed: 31).map { $0 * 4 }
        var keys = Self.randomVectors(count, stride, seed: 32), values = Self.randomVectors(count, stride, seed: 33)
        let keyHalves = keys.map { Float16($0).bitPattern }, valueHalves = values.map { Float16($0).bitPattern }
        if halves { (keys, values) = (keys.map { Float(Float16($0)) }, values.map { Float(Float16($0)) }) }
        let scale = 1 / Float(headSize).squareRoot()
        // The kernel for this cache type, for `heads` query heads from `q`.
        func attend(_ implementation: Int32, _ q: UnsafePointer<Float>, heads: Int, softcap: Float, _ scores: inout [Float], _ out: inout [Float]) {
            if halves {
                poe_attend_f16_using(implementation, q, Int32(heads), Int32(headSize), keyHalves, stride, valueHalves, stride, Int32(headSize), Int32(count), scale, softcap, &scores, &out)
            } else {
                poe_attend_using(implementation, q, Int32(heads), Int32(headSize), keys, stride, values, stride, Int32(headSize), Int32(count), scale, softcap, &scores, &out)
            }
        }
        for implementation in Self.implementations {
            for softcap: Float in [0, 1.5] {
                let what = "implementation \(implementation), soft cap \(softcap), halves \(halves)"
                var scores = [Float](repeating: 0, count: heads * count)
                var together = [Float](repeating: .nan, count: heads * headSize)
                attend(implementation, q, heads: heads, softcap: softcap, &scores, &together)
                for g in 0 ..< heads {
                    var alone = [Float](repeating: .nan, count: headSize)
                    Array(q[g * headSize ..< (g + 1) * headSize]).withUnsafeBufferPointer { qg in
                        attend(implementation, qg.baseAddress!, heads: 1, softcap: softcap, &scores, &alone)
                    }
                    #expect(alone.map(\.bitPattern) == together[g * headSize ..< (g + 1) * headSize].map(\.bitPattern), "\(what), head \(g)")
                    let s = (0 ..< count).map { j in
                        let dot = Double(scale) * (0 ..< headSize).reduce(0.0) { $0 + Double(q[g * headSize + $1]) * Double(keys[j * stride + $1]) }
                        return softcap > 0 ? Double(softcap) * tanh(dot / Double(softcap)) : dot
                    }
                    let e = s.map { exp($0 - s.max()!) }, total = e.reduce(0, +)
                    for i in 0 ..< headSize {
                        let exact = (0 ..< count).reduce(0.0) { $0 + e[$1] / total * Double(values[$1 * stride + i]) }
                        #expect(abs(Double(alone[i]) - exact) <= 1e-5, "\(what), head \(g) value \(i)")
                    }
                }
            }
        }
    }

    /// Floats to halves in every implementation: the bits of Swift's `Float16(_:)` (nearest, ties to even)
    /// for ordinary values, ties, the largest half and what rounds past it, subnormals, zeros and infinities.
    @Test func halvesRoundAsFloat16Does() {
        var x = Self.randomVectors(1, 301, seed: 41).map { $0 * 1000 }
        x += [0, -0.0, 1, -1, 65504, 65519.99, 65520, -70000, .infinity, -.infinity, 1e-5, -3e-8, 2.98e-8, 6.1e-5, 5.96e-8, 1e-10]
        x += [1 + 1.0 / 2048, 1 + 3.0 / 2048, 2049, 2051, Float(Float16.leastNonzeroMagnitude) * 1.5, Float(Float16.leastNonzeroMagnitude) * 2.5]
        for implementation in Self.implementations {
            var out = [UInt16](repeating: 0, count: x.count)
            poe_f16_from_f32_using(implementation, x, x.count, &out)
            for (i, value) in x.enumerated() {
                #expect(out[i] == Float16(value).bitPattern, "implementation \(implementation): \(value)")
            }
        }
    }

    /// A masked softmax in every implementation against Double: scores spread over 0 to −120 (some
    /// exponentials below float's range), visible ranges with ragged ends, zeros outside.
    @Test func softmaxImplementationsAgree() {
        let count = 77, visible = 3 ..< 70
        let scores = (0 ..< count).map { Float(($0 * 37) % count) * -120 / Float(count) }
        for implementation in Self.implementations {
            var row = scores
            poe_softmax_using(implementation, &row, Int32(visible.lowerBound), Int32(visible.upperBound), Int32(count))
            let top = scores[visible].map(Double.init).max()!
            let total = scores[visible].reduce(0.0) { $0 + exp(Double($1) - top) }
            for j in 0 ..< count {
                let exact = visible.contains(j) ? exp(Double(scores[j]) - top) / total : 0
                #expect(abs(Double(row[j]) - exact) <= 1e-6 * max(exact, 1e-30) + 1e-37, "implementation \(implementation), entry \(j)")
            }
        }
    }

    /// SiLU and tanh-GELU gates in every implementation, against Double, over inputs from −100 to 100 (where
    /// the exponential leaves float's range) and a ragged tail.
    @Test func gatedActivationsAgree() {
        let count = 1003
        let gate = (0 ..< count).map { Float($0) / Float(count - 1) * 200 - 100 }
        let up = Self.randomVectors(1, count, seed: 41)
        for implementation in Self.implementations {
            for kind in [Int32(POE_SILU), Int32(POE_GELU_TANH)] {
                var out = gate
                poe_gated_activation_using(implementation, kind, &out, up, count)
                for i in 0 ..< count {
                    let x = Double(gate[i])
                    let activated = kind == POE_SILU ? x / (1 + exp(-x)) : 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
                    let exact = activated * Double(up[i])
                    #expect(abs(Double(out[i]) - exact) <= 2e-6 * max(1, abs(exact)), "implementation \(implementation), kind \(kind), x \(x)")
                }
            }
        }
    }

    @Test func unsupportedTypesAreRefused() {
        var out = [Float](repeating: 0, count: 256)
        let bytes = [UInt8](repeating: 0, count: 256)
        for implementation in Self.implementations {
            for type in [GGMLType.q2_K, .q8_K, .iq4_xs] {
                let status = bytes.withUnsafeBytes { poe_dequantize_using(implementation, Int32(type.rawValue), $0.baseAddress, 256, &out) }
                #expect(status == -1)
                let product = bytes.withUnsafeBytes {
                    poe_matmul_using(implementation, Int32(type.rawValue), $0.baseAddress, 84, 0, 1, 256, out, 256, 1, &out, 1)
                }
                #expect(product == -1)
            }
        }
        #expect(poe_dequantize_using(7, 0, bytes, 1, &out) == -1, "an unknown implementation")
    }

    /// The largest |y − Σ w·x| / Σ |w·x| over every row and vector, the sums in Double over the exactly
    /// dequantized rows; y is (vectors, rows).
    static func worstRelativeError(_ y: [Float], type: GGMLType, matrix: Matrix, rows: Int, n: Int, x: [Float], vectors: Int) -> Double {
        var weights = [Float](repeating: 0, count: rows * n)
        _ = matrix.bytes.withUnsafeBytes { poe_dequantize_using(0, Int32(type.rawValue), $0.baseAddress, rows * n, &weights) }
        var worst = 0.0
        for r in 0 ..< rows {
            for i in 0 ..< vectors {
                var exact = 0.0, magnitude = 0.0
                for k in 0 ..< n {
                    let term = Double(weights[r * n + k]) * Double(x[i * n + k])
                    exact += term
                    magnitude += abs(term)
                }
                worst = max(worst, abs(Double(y[i * rows + r]) - exact) / magnitude)
            }
        }
        return worst
    }

    // MARK: Random data

    struct Matrix {
        let bytes: [UInt8]
        let rowBytes: Int
    }

    static func product(
        _ type: GGMLType, _ implementation: Int32, _ matrix: Matrix, rows: Range<Int>, n: Int, x: [Float], vectors: Int
    ) throws -> [Float] {
        let allRows = matrix.bytes.count / matrix.rowBytes
        var y = [Float](repeating: .nan, count: vectors * allRows)
        let status = matrix.bytes.withUnsafeBytes { w in
            poe_matmul_using(
                implementation, Int32(type.rawValue), w.baseAddress, matrix.rowBytes, Int32(rows.lowerBound), Int32(rows.upperBound),
                Int32(n), x, n, Int32(vectors), &y, allRows)
        }
        try #require(status == 0)
        return y
    }

    static func randomMatrix(_ type: GGMLType, rows: Int, values: Int, seed: UInt64) -> Matrix {
        let rowsBytes = (0 ..< rows).map { randomRow(type, values: values, seed: seed &+ UInt64($0)) }
        return Matrix(bytes: rowsBytes.flatMap { $0 }, rowBytes: rowsBytes[0].count)
    }

    static func randomVectors(_ count: Int, _ n: Int, seed: UInt64) -> [Float] {
        var random = SplitMix64(seed: seed)
        return (0 ..< count * n).map { _ in random.nextFloat() * 2 - 1 }
    }

    /// `values` values of `type`: random bytes, with every scale (an f16 field) set to a modest finite value.
    static func randomRow(_ type: GGMLType, values: Int, seed: UInt64) -> [UInt8] {
        var random = SplitMix64(seed: seed)
        func half(_ value: Float) -> [UInt8] {
            let bits = Float16(value).bitPattern
            return [UInt8(bits & 0xFF), UInt8(bits >> 8)]
        }
        switch type {
        case .f32:
            return (0 ..< values).flatMap { _ in withUnsafeBytes(of: (random.nextFloat() * 2 - 1).bitPattern.littleEndian, Array.init) }
        case .f16:
            return (0 ..< values).flatMap { _ in half(random.nextFloat() * 2 - 1) }
        case .bf16:
            return (0 ..< values).flatMap { _ -> [UInt8] in
                let bits = (random.nextFloat() * 2 - 1).bitPattern >> 16
                return [UInt8(bits & 0xFF), UInt8(bits >> 8)]
            }
        default:
            let (elements, blockBytes) = type.layout
            var bytes: [UInt8] = []
            for _ in 0 ..< values / elements {
                var block = (0 ..< blockBytes).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                for offset in type.halfPrecisionFields {
                    block.replaceSubrange(offset ..< offset + 2, with: half(0.01 + random.nextFloat() * 0.05))
                }
                bytes += block
            }
            return bytes
        }
    }
}
