import Foundation
import PoETransformer

// The backward passes of the forward pass's steps. Each reads what its forward step read (saved by the
// training graph) and the gradient of what it wrote, and returns (or adds to) the gradient of its input.

/// RMSNorm, y = x · r · w with r = 1 / √(mean(x²) + ε), over `rows` rows of `width`:
/// dx_j = r · w_j · dy_j − x_j · r³ / n · Σ_i w_i · dy_i · x_i (sums in Double). `accumulate` adds dx to
/// `into` instead of writing it.
func rmsNormBackward(
    _ x: UnsafePointer<Float>, weight: [Float], epsilon: Float, rows: Int, gradient dy: UnsafePointer<Float>,
    into dx: UnsafeMutablePointer<Float>, accumulate: Bool
) {
    let n = weight.count
    weight.withUnsafeBufferPointer { w in
        for row in 0 ..< rows {
            let xr = x + row * n, dyr = dy + row * n, dxr = dx + row * n
            var squares = 0.0, dot = 0.0
            for i in 0 ..< n {
                squares += Double(xr[i]) * Double(xr[i])
                dot += Double(w[i]) * Double(dyr[i]) * Double(xr[i])
            }
            let r = 1 / (squares / Double(n) + Double(epsilon)).squareRoot()
            let correction = Float(r * r * r * dot / Double(n)), scale = Float(r)
            for j in 0 ..< n {
                let value = scale * w[j] * dyr[j] - xr[j] * correction
                dxr[j] = accumulate ? dxr[j] + value : value
            }
        }
    }
}

/// The gated activation a = act(g) · u: dg = da · u · act′(g), du = da · act(g), written over `gate` and
/// `up`'s gradients (`dGate`, `dUp`).
func gatedActivationBackward(
    _ activation: TransformerConfig.Activation, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, gradient da: UnsafePointer<Float>,
    count: Int, dGate: UnsafeMutablePointer<Float>, dUp: UnsafeMutablePointer<Float>
) {
    for i in 0 ..< count {
        let g = Double(gate[i])
        let value: Double, derivative: Double
        switch activation {
        case .silu:
            let sigma = 1 / (1 + exp(-g))
            value = g * sigma
            derivative = sigma * (1 + g * (1 - sigma))
        case .geluTanh:
            let c = (2 / Double.pi).squareRoot()
            let t = tanh(c * (g + 0.044715 * g * g * g))
            value = 0.5 * g * (1 + t)
            derivative = 0.5 * (1 + t) + 0.5 * g * (1 - t * t) * c * (1 + 3 * 0.044715 * g * g)
        }
        dGate[i] = Float(Double(da[i]) * Double(up[i]) * derivative)
        dUp[i] = Float(Double(da[i]) * value)
    }
}

/// Causal (and windowed) attention's backward for one sequence of `tokens`, all heads. With P the
/// attention weights (recomputed from q and k) and dO the gradient of the output:
///   dP = dO Vᵀ,  dS = P ⊙ (dP − rowsum(P ⊙ dP)),  dQ = scale · dS K,  dK += scale · dSᵀ Q,  dV += Pᵀ dO
/// per query head, K and V being its group's key/value head. Heads are split across threads, each with
/// its own scores; each head writes its own share of dK and dV, and the shares are added per group in head
/// order at the end, so the result does not depend on which thread ran which head.
func attentionBackward(
    queries q: UnsafePointer<Float>, keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>, gradient dO: UnsafePointer<Float>,
    shape s: AttentionShape, tokens t: Int, window: Int?, scratch: UnsafeMutablePointer<Float>,
    dQ: UnsafeMutablePointer<Float>, dK: UnsafeMutablePointer<Float>, dV: UnsafeMutablePointer<Float>
) {
    let (qW, kW, vW, oW) = (s.heads * s.headDimension, s.kvHeads * s.headDimension, s.kvHeads * s.valueDimension, s.heads * s.valueDimension)
    let group = s.heads / s.kvHeads
    let (headK, headV) = (t * s.headDimension, t * s.valueDimension)
    // Scratch: P and dP (t, t) per thread, then each head's share of dK (t, hd) and of dV (t, vd).
    let sharesOffset = ComputeThreads.count * 2 * t * t, shares = scratch + sharesOffset
    let io = GradientPointers(q: q, k: k, v: v, dO: dO, scratch: scratch, dQ: dQ)
    parallelChunks(s.heads, minimumChunk: 1) { slot, heads in
        let p = io.scratch + slot * 2 * t * t, dP = p + t * t
        for head in heads {
            let g = head / group
            let qh = io.q + head * s.headDimension, kg = io.k + g * s.headDimension, vg = io.v + g * s.valueDimension
            let dOh = io.dO + head * s.valueDimension
            // S = scale · Q Kᵀ (t, t), masked, then softmax per row: P.
            gemm(m: t, n: t, k: s.headDimension, qh, lda: qW, kg, ldb: kW, transposeB: true, p, ldc: t, alpha: s.scale)
            for i in 0 ..< t {
                let row = p + i * t
                let first = window.map { max(0, i - $0 + 1) } ?? 0
                var maximum = -Float.infinity
                for j in first ... i { maximum = max(maximum, row[j]) }
                var total: Float = 0
                for j in 0 ..< t {
                    if j < first || j > i { row[j] = 0; continue }
                    row[j] = exp(row[j] - maximum)
                    total += row[j]
                }
                for j in first ... i { row[j] /= total }
            }
            // dP = dO Vᵀ (t, t)
            gemm(m: t, n: t, k: s.valueDimension, dOh, lda: oW, vg, ldb: vW, transposeB: true, dP, ldc: t)
            // dS = P ⊙ (dP − Σ_j P ⊙ dP), over each row's visible keys (P is 0 elsewhere).
            for i in 0 ..< t {
                let pr = p + i * t, dr = dP + i * t
                var dot: Float = 0
                for j in 0 ... i { dot += pr[j] * dr[j] }
                for j in 0 ..< t { dr[j] = pr[j] * (dr[j] - dot) }
            }
            // dQ = scale · dS K (t, hd)
            gemm(m: t, n: s.headDimension, k: t, dP, lda: t, kg, ldb: kW, transposeB: false, io.dQ + head * s.headDimension, ldc: qW, alpha: s.scale)
            // This head's share: scale · dSᵀ Q (t, hd) of dK, and Pᵀ dO (t, vd) of dV.
            let shareK = io.scratch + sharesOffset + head * (headK + headV), shareV = shareK + headK
            gemm(m: t, n: s.headDimension, k: t, dP, lda: t, transposeA: true, qh, ldb: qW, transposeB: false,
                 shareK, ldc: s.headDimension, alpha: s.scale)
            gemm(m: t, n: s.valueDimension, k: t, p, lda: t, transposeA: true, dOh, ldb: oW, transposeB: false, shareV, ldc: s.valueDimension)
        }
    }
    // dK and dV: each group's heads' shares added in head order.
    dK.initialize(repeating: 0, count: t * kW)
    dV.initialize(repeating: 0, count: t * vW)
    for head in 0 ..< s.heads {
        let g = head / group
        let shareK = shares + head * (headK + headV), shareV = shareK + headK
        for i in 0 ..< t {
            for d in 0 ..< s.headDimension { dK[i * kW + g * s.headDimension + d] += shareK[i * s.headDimension + d] }
            for d in 0 ..< s.valueDimension { dV[i * vW + g * s.valueDimension + d] += shareV[i * s.valueDimension + d] }
        }
    }
}

/// Scratch `attentionBackward` needs: per thread, P and dP (t, t); per head, its shares of dK and dV.
func attentionScratchFloats(tokens t: Int, shape s: AttentionShape) -> Int {
    ComputeThreads.count * 2 * t * t + s.heads * t * (s.headDimension + s.valueDimension)
}

/// The pointers `attentionBackward` lends its threads.
///
/// `@unchecked Sendable` is safe: `parallelChunks` returns only when every chunk is done; q, k, v and dO
/// are only read; each chunk writes its own heads' columns of dQ and its own part of the scratch.
private struct GradientPointers: @unchecked Sendable {
    let q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, dO: UnsafePointer<Float>
    let scratch: UnsafeMutablePointer<Float>, dQ: UnsafeMutablePointer<Float>
}
