import Foundation
import PoE
import PoEKernels
import PoETransformer

/// What one layer's forward pass keeps for its backward pass, (tokens, width) each.
final class LayerActivations {
    /// The layer's normalized input (the attention's input; the input itself is kept in `layerInputs`).
    let normed = Floats()
    /// Queries and keys as the projections give them (before Gemma's per-head norms), and as attention
    /// reads them (normalized and rotated); values.
    let rawQueries = Floats(), rawKeys = Floats(), queries = Floats(), keys = Floats(), values = Floats()
    /// Attention's output (the output projection's input), and that projection's output (before Gemma's
    /// post-norm).
    let attended = Floats(), attentionOutput = Floats()
    /// The residual after attention, its normalized copy (the feed-forward's input), gate and up before
    /// the activation, and the down projection's output (before Gemma's post-norm).
    let residual = Floats(), feedForwardInput = Floats(), gate = Floats(), up = Floats(), feedForwardOutput = Floats()
    /// h = x Aᵀ of each LoRA pair of the layer, by pair index.
    var loraHidden: [Int: Floats] = [:]
}

/// One sequence's forward pass, keeping what the backward pass needs, and the backward pass, which adds
/// the loss's gradient with respect to every LoRA matrix into the adapter's gradients.
///
/// The frozen weights are the engine's, exactly dequantized once to float32 (`DenseWeights`), and every
/// other step runs the engine's own kernels (RMSNorm, RoPE, attention, activations), so the forward pass
/// is inference's arithmetic. Tokens of one sequence only: a batch is several sequences, their gradients
/// added up.
///
/// With `recomputing` (gradient checkpointing), the forward pass keeps only each layer's input, and the
/// backward pass runs each layer forward again from it, into one shared set of activations, before going
/// back through it: a third more arithmetic, and activations of one layer instead of all of them (Gemma 3
/// 270M keeps 47 KB a token a layer, 2.5 KB of it the input). The recomputed activations are the same
/// bits, so the gradients are too.
package final class TrainingGraph {
    let model: Transformer
    let lora: TrainableLoRA
    private let config: TransformerConfig
    private let dense: DenseWeights
    /// Each layer's activations, or, recomputing, one set they share.
    private let layers: [LayerActivations]
    /// Each layer's input (tokens, d).
    private let layerInputs: [Floats]
    private let recomputing: Bool
    /// The last layer's output, before the output norm, and after it.
    private let finalInput = Floats(), finalNormed = Floats()
    /// RoPE tables, per variant: (tokens, ropeDimensions).
    private let rotations: [Floats]
    /// Scratch: a running residual, its gradient, other gradients, attention scores, LoRA's dh, logits.
    private let x = Floats(), dx = Floats(), work = Floats(), work2 = Floats(), dq = Floats(), dk = Floats(), dv = Floats()
    private let scores = Floats(), loraWork = Floats(), logits = Floats()
    private var tokens = 0

    /// Why the graph cannot train `model`, or nil when it can: it implements the designs of Llama, Qwen 2 and
    /// 3 and Gemma 3 (weighted RMSNorms, per-head q/k norms, post-norms, biases, an output soft cap), and none
    /// of the others' (LayerNorm, clamping, whole-width q/k norms, attention soft caps, fused matrices,
    /// RoPE's attention factor). The norms `?? []` below are never empty for a model this accepts.
    package static func unsupportedFeature(of model: Transformer) -> String? {
        let c = model.config, design = c.design
        if design.inputNorm != .rms { return "its norms are not weighted RMSNorms" }
        if design.queryKeyNorm == .wholeWidth { return "it normalizes queries and keys over their whole width" }
        if c.queryKeyValueClamp != nil { return "it clamps q, k and v" }
        if c.attentionSoftcap != nil { return "it soft-caps attention scores" }
        if design.fusedGateUp || model.weights.fusesQueryKeyValue { return "its matrices are fused" }
        if c.layers.contains(where: { $0.ropeAttentionFactor != 1 }) { return "its RoPE has an attention factor" }
        return nil
    }

    package init(model: Transformer, lora: TrainableLoRA, recomputing: Bool = false) {
        self.model = model
        self.lora = lora
        self.recomputing = recomputing
        config = model.config
        dense = DenseWeights(model.weights)
        layers = (0 ..< (recomputing ? 1 : model.config.layerCount)).map { _ in LayerActivations() }
        layerInputs = (0 ..< model.config.layerCount).map { _ in Floats() }
        rotations = model.rotaryEmbeddings.map { _ in Floats() }
    }

    private var shape: AttentionShape {
        AttentionShape(
            heads: config.headCount, kvHeads: config.kvHeadCount, headDimension: config.headDimension,
            valueDimension: config.valueDimension, scale: config.attentionScale)
    }

    // MARK: - Forward

    /// Runs `input` through the model and returns the summed cross-entropy of predicting `targets[i]` at
    /// each position i where `targets[i]` is not nil, and its gradient (times `lossScale`) with respect to
    /// the final hidden states, kept for `backward`.
    package func forward(_ input: [TokenID], targets: [TokenID?], lossScale: Float) -> Double {
        let c = config, w = model.weights, t = input.count
        tokens = t
        let d = c.embeddingLength
        reserve(tokens: t)
        // Token embeddings (t, d), times √d for Gemma.
        for (row, id) in input.enumerated() { w.tokenEmbedding.copyRow(Int(id), scale: c.embeddingScale, into: x.pointer + row * d) }
        for (variant, rope) in model.rotaryEmbeddings.enumerated() {
            for position in 0 ..< t { rope.angles(position: position, into: rotations[variant].pointer + position * c.ropeDimensions) }
        }
        for l in w.layers.indices {
            layerInputs[l].pointer.update(from: x.pointer, count: t * d)
            forwardLayer(l, keeping: activations(l))
        }
        finalInput.pointer.update(from: x.pointer, count: t * d)
        rmsNorm(x.pointer, weight: w.outputNorm ?? [], epsilon: c.normEpsilon, rows: t, into: finalNormed.pointer)
        return crossEntropy(targets: targets, lossScale: lossScale)
    }

    private func activations(_ layer: Int) -> LayerActivations { layers[recomputing ? 0 : layer] }

    /// x = layer l (x), keeping what its backward pass needs in `a`.
    private func forwardLayer(_ l: Int, keeping a: LayerActivations) {
        let c = config, t = tokens, layer = model.weights.layers[l]
        let d = c.embeddingLength, qW = c.headCount * c.headDimension, kW = c.kvHeadCount * c.headDimension
        let ffn = c.feedForwardLength
        rmsNorm(x.pointer, weight: layer.attentionNorm ?? [], epsilon: c.normEpsilon, rows: t, into: a.normed.pointer)
        project(dense.layers[l].query, .layer(l, .query), a.normed, into: a.rawQueries, layer: a)  // Wq (qW, d) @ h (t, d) -> (t, qW)
        project(dense.layers[l].key, .layer(l, .key), a.normed, into: a.rawKeys, layer: a)  // Wk (kW, d) -> (t, kW)
        project(dense.layers[l].value, .layer(l, .value), a.normed, into: a.values, layer: a)  // Wv (vW, d) -> (t, vW)
        if let queryNorm = layer.queryNorm, let keyNorm = layer.keyNorm {
            rmsNorm(a.rawQueries.pointer, weight: queryNorm, epsilon: c.normEpsilon, rows: t * c.headCount, into: a.queries.pointer)
            rmsNorm(a.rawKeys.pointer, weight: keyNorm, epsilon: c.normEpsilon, rows: t * c.kvHeadCount, into: a.keys.pointer)
        } else {
            a.queries.pointer.update(from: a.rawQueries.pointer, count: t * qW)
            a.keys.pointer.update(from: a.rawKeys.pointer, count: t * kW)
        }
        let rope = model.rotaryEmbeddings[model.layerRotation[l]], table = rotations[model.layerRotation[l]].pointer
        for row in 0 ..< t {
            rope.rotate(a.queries.pointer + row * qW, heads: c.headCount, headLength: c.headDimension, table: table + row * c.ropeDimensions)
            rope.rotate(a.keys.pointer + row * kW, heads: c.kvHeadCount, headLength: c.headDimension, table: table + row * c.ropeDimensions)
        }
        attention(
            queries: a.queries.pointer, keys: CachedRows(floats: a.keys.pointer, stride: kW),
            values: CachedRows(floats: a.values.pointer, stride: c.kvHeadCount * c.valueDimension), shape: shape, first: 0, tokens: t,
            window: c.layers[l].window, scratch: AttentionScratch(scores: scores.pointer), into: a.attended.pointer)
        project(dense.layers[l].attentionOutput, .layer(l, .attentionOutput), a.attended, into: a.attentionOutput, layer: a)  // Wo (d, aW) -> (t, d)
        addResidual(a.attentionOutput, norm: layer.postAttentionNorm, rows: t)
        a.residual.pointer.update(from: x.pointer, count: t * d)
        rmsNorm(x.pointer, weight: layer.feedForwardNorm ?? [], epsilon: c.normEpsilon, rows: t, into: a.feedForwardInput.pointer)
        project(dense.layers[l].gate, .layer(l, .gate), a.feedForwardInput, into: a.gate, layer: a)  // Wgate (ffn, d) -> (t, ffn)
        project(dense.layers[l].up, .layer(l, .up), a.feedForwardInput, into: a.up, layer: a)  // Wup (ffn, d) -> (t, ffn)
        work.pointer.update(from: a.gate.pointer, count: t * ffn)
        gatedActivation(c.design.activation, gate: work.pointer, up: a.up.pointer, count: t * ffn)
        project(dense.layers[l].down, .layer(l, .down), work, into: a.feedForwardOutput, layer: a)  // Wdown (d, ffn) -> (t, d)
        addResidual(a.feedForwardOutput, norm: layer.postFeedForwardNorm, rows: t)
    }

    /// x += (post-norm of) the sublayer's output.
    private func addResidual(_ sublayer: Floats, norm: [Float]?, rows t: Int) {
        let d = config.embeddingLength
        if let norm {
            rmsNorm(sublayer.pointer, weight: norm, epsilon: config.normEpsilon, rows: t, into: work2.pointer)
            for i in 0 ..< t * d { x.pointer[i] += work2.pointer[i] }
        } else {
            for i in 0 ..< t * d { x.pointer[i] += sublayer.pointer[i] }
        }
    }

    /// Y = X Wᵀ, plus the slot's LoRA term (alpha/r) · (X Aᵀ) Bᵀ, keeping X Aᵀ for the backward pass.
    private func project(_ matrix: DenseMatrix, _ slot: AdapterSlot, _ input: Floats, into output: Floats, layer: LayerActivations) {
        matrix.apply(input.pointer, tokens: tokens, into: output.pointer)
        guard let p = lora.index[slot] else { return }
        let pair = lora.pairs[p], r = lora.rank
        let hidden = layer.loraHidden[p] ?? Floats()
        layer.loraHidden[p] = hidden
        hidden.reserve(tokens * r)
        pair.a.withUnsafeBufferPointer { a in
            pair.b.withUnsafeBufferPointer { b in
                // x (t, in) @ Aᵀ (in, r) -> h (t, r)
                gemm(m: tokens, n: r, k: pair.inputs, input.pointer, lda: pair.inputs, a.baseAddress!, ldb: pair.inputs, transposeB: true, hidden.pointer, ldc: r)
                // h (t, r) @ Bᵀ (r, out) -> y (t, out), scaled and added
                gemm(m: tokens, n: pair.outputs, k: r, hidden.pointer, lda: r, b.baseAddress!, ldb: r, transposeB: true,
                     output.pointer, ldc: pair.outputs, alpha: lora.scale, beta: 1)
            }
        }
    }

    /// The loss over the target positions, a chunk of rows at a time (Gemma's logits are 262,144 wide):
    /// logits, softmax, −log p(target), and at once the gradient (p − onehot) · lossScale through the
    /// output matrix into `dx` (the final hidden states' gradient), unless lossScale is 0 (evaluation).
    private func crossEntropy(targets: [TokenID?], lossScale: Float) -> Double {
        let d = config.embeddingLength, vocabulary = config.vocabularySize
        dx.zero(tokens * d)
        let positions = targets.indices.filter { targets[$0] != nil }
        var loss = 0.0
        for start in stride(from: 0, to: positions.count, by: Self.lossChunk) {
            let chunk = Array(positions[start ..< min(start + Self.lossChunk, positions.count)])
            // Gather the chunk's hidden states (rows, d) into `work`.
            for (row, position) in chunk.enumerated() { (work.pointer + row * d).update(from: finalNormed.pointer + position * d, count: d) }
            // Wout (vocab, d) @ h (rows, d) -> logits (rows, vocab)
            dense.output.apply(work.pointer, tokens: chunk.count, into: logits.pointer)
            for (row, position) in chunk.enumerated() {
                let z = logits.pointer + row * vocabulary
                if let cap = config.finalLogitSoftcap { softcap(z, count: vocabulary, cap: cap) }
                let target = Int(targets[position]!)
                // The cap's derivative, 1 − (z/c)², read before the softmax overwrites z.
                let capDerivative = config.finalLogitSoftcap.map { cap in (0 ..< vocabulary).map { 1 - (z[$0] / cap) * (z[$0] / cap) } }
                // Softmax in place (vectorized); the loss is −log p(target). A probability that underflows
                // (a logit 100 below the largest) counts as e^−104: only the reported loss is clamped, the
                // gradient below is exact.
                poe_softmax(z, 0, Int32(vocabulary), Int32(vocabulary))
                loss -= log(Double(max(z[target], .leastNonzeroMagnitude)))
                if lossScale == 0 { continue }
                // d loss / d logit = softmax − onehot.
                z[target] -= 1
                if let capDerivative {
                    for j in 0 ..< vocabulary { z[j] *= lossScale * capDerivative[j] }
                } else {
                    for j in 0 ..< vocabulary { z[j] *= lossScale }
                }
            }
            if lossScale == 0 { continue }
            // dLogits (rows, vocab) @ Wout (vocab, d) -> dh (rows, d), into work2, then scattered.
            work2.zero(chunk.count * d)
            dense.output.applyTransposed(logits.pointer, tokens: chunk.count, into: work2.pointer)
            for (row, position) in chunk.enumerated() {
                let from = work2.pointer + row * d, to = dx.pointer + position * d
                for i in 0 ..< d { to[i] += from[i] }
            }
        }
        return loss
    }

    static let lossChunk = 64

    // MARK: - Backward

    /// Adds the gradient of the loss `forward` computed (times its lossScale) to every LoRA matrix.
    package func backward() {
        let c = config, w = model.weights, t = tokens
        let d = c.embeddingLength, qW = c.headCount * c.headDimension, kW = c.kvHeadCount * c.headDimension
        let aW = c.headCount * c.valueDimension, ffn = c.feedForwardLength
        // dx holds d loss / d (final normed hidden states); through the output norm:
        work.pointer.update(from: dx.pointer, count: t * d)
        rmsNormBackward(finalInput.pointer, weight: w.outputNorm ?? [], epsilon: c.normEpsilon, rows: t, gradient: work.pointer, into: dx.pointer, accumulate: false)
        for (l, layer) in w.layers.enumerated().reversed() {
            let a = activations(l)
            if recomputing {
                // Layer l's forward pass again, from its input (x is free: the backward pass reads dx only).
                x.pointer.update(from: layerInputs[l].pointer, count: t * d)
                forwardLayer(l, keeping: a)
            }
            // Feed-forward block. dx is d loss / d (layer output) = d (residual) + d (feed-forward branch).
            let dBranch = sublayerGradient(a.feedForwardOutput, norm: layer.postFeedForwardNorm, rows: t)  // d (down's output)
            work.pointer.update(from: a.gate.pointer, count: t * ffn)
            gatedActivation(c.design.activation, gate: work.pointer, up: a.up.pointer, count: t * ffn)  // a, down's input
            // da = dBranch Wdown (t, ffn)
            dq.reserve(t * ffn)
            dq.zero(t * ffn)
            backProject(dense.layers[l].down, .layer(l, .down), input: work.pointer, gradient: dBranch, into: dq.pointer, layer: a)
            // dgate, dup from da (into dk, dv).
            dk.reserve(t * ffn)
            dv.reserve(t * ffn)
            gatedActivationBackward(c.design.activation, gate: a.gate.pointer, up: a.up.pointer, gradient: dq.pointer, count: t * ffn, dGate: dk.pointer, dUp: dv.pointer)
            // dh2 = dgate Wgate + dup Wup (t, d)
            work.zero(t * d)
            backProject(dense.layers[l].gate, .layer(l, .gate), input: a.feedForwardInput.pointer, gradient: dk.pointer, into: work.pointer, layer: a)
            backProject(dense.layers[l].up, .layer(l, .up), input: a.feedForwardInput.pointer, gradient: dv.pointer, into: work.pointer, layer: a)
            rmsNormBackward(a.residual.pointer, weight: layer.feedForwardNorm ?? [], epsilon: c.normEpsilon, rows: t, gradient: work.pointer, into: dx.pointer, accumulate: true)

            // Attention block: dx is now d loss / d (residual after attention).
            let dAttentionOutput = sublayerGradient(a.attentionOutput, norm: layer.postAttentionNorm, rows: t)
            // dAttended = dOut Wo (t, aW)
            dq.zero(t * aW)
            backProject(dense.layers[l].attentionOutput, .layer(l, .attentionOutput), input: a.attended.pointer, gradient: dAttentionOutput, into: dq.pointer, layer: a)
            work.pointer.update(from: dq.pointer, count: t * aW)  // dO
            dq.reserve(t * qW)
            attentionBackward(
                queries: a.queries.pointer, keys: a.keys.pointer, values: a.values.pointer, gradient: work.pointer, shape: shape, tokens: t,
                window: c.layers[l].window, scratch: scores.pointer, dQ: dq.pointer, dK: dk.pointer, dV: dv.pointer)
            let rope = model.rotaryEmbeddings[model.layerRotation[l]], table = rotations[model.layerRotation[l]].pointer
            for row in 0 ..< t {
                rope.rotate(dq.pointer + row * qW, heads: c.headCount, headLength: c.headDimension, table: table + row * c.ropeDimensions, backward: true)
                rope.rotate(dk.pointer + row * kW, heads: c.kvHeadCount, headLength: c.headDimension, table: table + row * c.ropeDimensions, backward: true)
            }
            if let queryNorm = layer.queryNorm, let keyNorm = layer.keyNorm {
                work.pointer.update(from: dq.pointer, count: t * qW)
                rmsNormBackward(a.rawQueries.pointer, weight: queryNorm, epsilon: c.normEpsilon, rows: t * c.headCount, gradient: work.pointer, into: dq.pointer, accumulate: false)
                work.pointer.update(from: dk.pointer, count: t * kW)
                rmsNormBackward(a.rawKeys.pointer, weight: keyNorm, epsilon: c.normEpsilon, rows: t * c.kvHeadCount, gradient: work.pointer, into: dk.pointer, accumulate: false)
            }
            // dh1 = dq Wq + dk Wk + dv Wv (t, d)
            work.zero(t * d)
            backProject(dense.layers[l].query, .layer(l, .query), input: a.normed.pointer, gradient: dq.pointer, into: work.pointer, layer: a)
            backProject(dense.layers[l].key, .layer(l, .key), input: a.normed.pointer, gradient: dk.pointer, into: work.pointer, layer: a)
            backProject(dense.layers[l].value, .layer(l, .value), input: a.normed.pointer, gradient: dv.pointer, into: work.pointer, layer: a)
            rmsNormBackward(layerInputs[l].pointer, weight: layer.attentionNorm ?? [], epsilon: c.normEpsilon, rows: t, gradient: work.pointer, into: dx.pointer, accumulate: true)
        }
    }

    /// The gradient with respect to a sublayer's output, given dx (with respect to x + post-norm(output)):
    /// through Gemma's post-norm where there is one (into work2), else dx itself.
    private func sublayerGradient(_ output: Floats, norm: [Float]?, rows t: Int) -> UnsafeMutablePointer<Float> {
        guard let norm else { return dx.pointer }
        rmsNormBackward(output.pointer, weight: norm, epsilon: config.normEpsilon, rows: t, gradient: dx.pointer, into: work2.pointer, accumulate: false)
        return work2.pointer
    }

    /// For Y = X Wᵀ + s · (X Aᵀ) Bᵀ with dY given: dX += dY W + s · (dY B) A, and the pair's gradients
    /// dB += s · dYᵀ (X Aᵀ), dA += s · (dY B)ᵀ X.
    private func backProject(
        _ matrix: DenseMatrix, _ slot: AdapterSlot, input: UnsafePointer<Float>, gradient dy: UnsafePointer<Float>,
        into dxOut: UnsafeMutablePointer<Float>, layer: LayerActivations
    ) {
        let t = tokens
        matrix.applyTransposed(dy, tokens: t, into: dxOut)  // dY (t, out) @ W (out, in) -> (t, in)
        guard let p = lora.index[slot], let hidden = layer.loraHidden[p] else { return }
        let r = lora.rank, s = lora.scale, (inputs, outputs) = (lora.pairs[p].inputs, lora.pairs[p].outputs)
        loraWork.reserve(t * r)
        let dh = loraWork.pointer
        lora.pairs[p].b.withUnsafeBufferPointer { b in
            // dh = s · dY (t, out) @ B (out, r) -> (t, r)
            gemm(m: t, n: r, k: outputs, dy, lda: outputs, b.baseAddress!, ldb: r, transposeB: false, dh, ldc: r, alpha: s)
        }
        lora.pairs[p].gradientB.withUnsafeMutableBufferPointer { gb in
            // dB += s · dYᵀ (out, t) @ h (t, r)
            gemm(m: outputs, n: r, k: t, dy, lda: outputs, transposeA: true, hidden.pointer, ldb: r, transposeB: false,
                 gb.baseAddress!, ldc: r, alpha: s, beta: 1)
        }
        lora.pairs[p].gradientA.withUnsafeMutableBufferPointer { ga in
            // dA += dhᵀ (r, t) @ x (t, in)
            gemm(m: r, n: inputs, k: t, dh, lda: r, transposeA: true, input, ldb: inputs, transposeB: false, ga.baseAddress!, ldc: inputs, beta: 1)
        }
        lora.pairs[p].a.withUnsafeBufferPointer { a in
            // dX += dh (t, r) @ A (r, in)
            gemm(m: t, n: inputs, k: r, dh, lda: r, a.baseAddress!, ldb: inputs, transposeB: false, dxOut, ldc: inputs, beta: 1)
        }
    }

    // MARK: - Buffers

    private func reserve(tokens t: Int) {
        let c = config
        let d = c.embeddingLength, qW = c.headCount * c.headDimension, kW = c.kvHeadCount * c.headDimension
        let vW = c.kvHeadCount * c.valueDimension, aW = c.headCount * c.valueDimension, ffn = c.feedForwardLength
        for input in layerInputs { input.reserve(t * d) }
        for a in layers {
            for buffer in [a.normed, a.attentionOutput, a.residual, a.feedForwardInput, a.feedForwardOutput] { buffer.reserve(t * d) }
            for buffer in [a.rawQueries, a.queries] { buffer.reserve(t * qW) }
            for buffer in [a.rawKeys, a.keys] { buffer.reserve(t * kW) }
            a.values.reserve(t * vW)
            a.attended.reserve(t * aW)
            for buffer in [a.gate, a.up] { buffer.reserve(t * ffn) }
        }
        let widest = max(d, qW, aW, ffn)
        for buffer in [finalInput, finalNormed, x, dx] { buffer.reserve(t * d) }
        for buffer in [work, work2] { buffer.reserve(max(t, Self.lossChunk) * widest) }
        for buffer in [dq, dk, dv] { buffer.reserve(t * max(qW, kW, vW, ffn)) }
        for buffer in rotations { buffer.reserve(t * c.ropeDimensions) }
        scores.reserve(max(ComputeThreads.count * max(t, c.headCount) * t, attentionScratchFloats(tokens: t, shape: shape)))
        logits.reserve(Self.lossChunk * c.vocabularySize)
    }
}
