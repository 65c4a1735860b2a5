import PoEKernels

/// A weight matrix W of shape (outputs, inputs), read in place from the model file in its stored format
/// (one output per row), and the one place where the model multiplies activations by weights.
///
/// Few rows of activations (decoding, batched decoding) go through the fused kernels, which dequantize
/// each block of W once for all rows. Many rows (a prompt) dequantize W a tile of rows at a time and
/// multiply the tile with OpenBLAS. Both compute in float32 from exactly dequantized weights, unless the
/// scratch asks for 8-bit activations (``ActivationPrecision/q8``): then the fused kernels of the block
/// formats take the rows rounded to 8 bits, in integers.
package struct WeightMatrix: Sendable {
    package let outputs: Int
    package let inputs: Int
    package let type: GGMLType
    let rows: MappedRows
    /// Added to every output row (Qwen 2's q, k and v); nil for none.
    package var bias: [Float]? = nil

    /// Activation rows up to which the fused kernels are used.
    package static let fusedLimit = 16
    /// Weight rows dequantized per tile on the OpenBLAS path (at most 4 MiB of floats for 1024 inputs).
    static let tileRows = 1024

    /// Floats of one thread's tile on the OpenBLAS path; `apply` needs one per thread.
    package var tileFloats: Int { min(outputs, Self.tileRows) * inputs }

    /// The matrix of rows `range` of this one (a part of a fused matrix), read in place; its bias's part.
    func rows(_ range: Range<Int>) -> WeightMatrix {
        WeightMatrix(
            outputs: range.count, inputs: inputs, type: type,
            rows: MappedRows(base: rows.base + range.lowerBound * rows.rowBytes, rowBytes: rows.rowBytes),
            bias: bias.map { Array($0[range]) })
    }

    /// Y (tokens, outputs) = X (tokens, inputs) · Wᵀ + bias, plus the LoRA adapters' terms for their rows.
    package func apply(
        _ x: UnsafePointer<Float>, tokens: Int, into y: UnsafeMutablePointer<Float>, scratch: ProductScratch,
        adapters: [AdapterTerm] = []
    ) {
        if tokens <= Self.fusedLimit {
            // Rows of W split across threads; each writes its own columns of Y, and adds the adapters' terms
            // to them (their h = X · down is ready).
            let (type, rows, inputs, outputs) = (Int32(type.rawValue), rows, Int32(inputs), outputs)
            let io = BorrowedPointers(x: x, y: y, scratch: scratch.tile)
            // With 8-bit activations, X rounded once, here, for every thread: (tokens, inputs / 32) blocks.
            let rounded = scratch.roundedInput.flatMap { raw in
                poe_supports_q8(type) == 1 ? RoundedRows(base: raw.assumingMemoryBound(to: poe_q8_block.self)) : nil
            }
            if let rounded { poe_quantize_activations(x, Int(inputs), Int32(tokens), inputs, rounded.base) }
            parallelChunks(outputs) { _, range in
                if let rounded {
                    _ = poe_matmul_q8(
                        type, rows.base, rows.rowBytes, Int32(range.lowerBound), Int32(range.upperBound),
                        inputs, rounded.base, Int32(tokens), io.y, outputs)
                } else {
                    _ = poe_matmul(
                        type, rows.base, rows.rowBytes, Int32(range.lowerBound), Int32(range.upperBound),
                        inputs, io.x, Int(inputs), Int32(tokens), io.y, outputs)
                }
                addBias(outputs: range, tokens: tokens, into: io.y)
                for term in adapters { term.add(outputs: range, into: io.y) }
            }
            return
        }
        // Each thread takes a share of W's rows, a tile at a time, with its own tile of scratch.
        let (type, rows, inputs, outputs) = (Int32(type.rawValue), rows, inputs, outputs)
        let io = BorrowedPointers(x: x, y: y, scratch: scratch.tile)
        let tileFloats = tileFloats
        parallelChunks(outputs, minimumChunk: 128) { chunk, range in
            let tile = io.scratch + chunk * tileFloats
            var start = range.lowerBound
            while start < range.upperBound {
                let count = min(Self.tileRows, range.upperBound - start)
                _ = poe_dequantize(type, rows.base + start * rows.rowBytes, count * inputs, tile)
                // X (tokens, inputs) @ tileᵀ (inputs, count) -> Y[:, start ..< start + count]
                gemm(m: tokens, n: count, k: inputs, io.x, lda: inputs, tile, ldb: inputs, transposeB: true, io.y + start, ldc: outputs)
                start += count
            }
            // The bias and the adapters' terms for this thread's outputs.
            addBias(outputs: range, tokens: tokens, into: io.y)
            for term in adapters { term.add(outputs: range, into: io.y) }
        }
    }

    /// Y[t, o] += bias[o] for outputs `range` of every row.
    private func addBias(outputs range: Range<Int>, tokens: Int, into y: UnsafeMutablePointer<Float>) {
        guard let bias else { return }
        for t in 0 ..< tokens {
            let row = y + t * outputs
            for o in range { row[o] += bias[o] }
        }
    }

    /// The whole matrix as float32, (outputs, inputs) row-major, exactly dequantized, into `out`.
    package func dequantize(into out: UnsafeMutablePointer<Float>) {
        for row in 0 ..< outputs {
            _ = poe_dequantize(Int32(type.rawValue), rows.base + row * rows.rowBytes, inputs, out + row * inputs)
        }
    }

    /// Row `index` (for an embedding table, the vector of token `index`) into `out`, times `scale`.
    package func copyRow(_ index: Int, scale: Float = 1, into out: UnsafeMutablePointer<Float>) {
        _ = poe_dequantize(Int32(type.rawValue), rows.base + index * rows.rowBytes, inputs, out)
        if scale != 1 { for i in 0 ..< inputs { out[i] *= scale } }
    }
}

/// A matrix's rows in the mapped model file.
///
/// `@unchecked Sendable` is safe: the bytes are in a read-only mapping that the `Transformer` holding
/// this (through its `GGUFFile`) keeps alive, and they are never written.
struct MappedRows: @unchecked Sendable {
    let base: UnsafeRawPointer
    let rowBytes: Int
}

/// The scratch a product may use: per-thread tiles of dequantized weights (for many rows of activations),
/// and, when the activations are to be rounded to 8 bits, room for the rounded rows (`poe_q8_block`s for
/// `fusedLimit` rows of the widest input); nil for float32 activations.
package struct ProductScratch {
    let tile: UnsafeMutablePointer<Float>
    let roundedInput: UnsafeMutableRawPointer?
}

/// The rounded activations of one product, lent to the threads of its `parallelChunks` call.
///
/// `@unchecked Sendable` is safe: they are written before `parallelChunks` starts and only read until it
/// returns.
struct RoundedRows: @unchecked Sendable {
    let base: UnsafeMutablePointer<poe_q8_block>
}

/// A product's input, output and scratch, lent to the threads of one `parallelChunks` call.
///
/// `@unchecked Sendable` is safe: `parallelChunks` returns only after every chunk has finished, the caller
/// owns both buffers for that time, the input is only read, and each chunk writes its own rows of the output.
struct BorrowedPointers: @unchecked Sendable {
    let x: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>
    /// Scratch the chunks share out by chunk number.
    let scratch: UnsafeMutablePointer<Float>
}
