import PoE

/// One sequence's part of a forward pass: its cache, where its new tokens start, and which rows of the
/// stacked activations they are.
struct SequenceSlice {
    let cache: KVCache
    let firstPosition: Int
    let rows: Range<Int>
    /// The RoPE variants for this sequence's context (LongRoPE's short or long factors).
    let rotary: [RotaryEmbedding]
    /// The LoRA adapters of the session's model (none for the base model).
    let adapters: AdapterTable
}

extension Transformer {
    /// Runs `tokens` (the slices' new tokens, stacked) through every layer. Each slice's keys and values
    /// are appended to its own cache and it attends over that cache only; every other step works on all
    /// rows at once. Leaves the final normalized hidden states of the rows `outputs` in `b.x`, as its
    /// first `outputs.count` rows (outputs.count, d).
    ///
    /// What differs between architectures comes from `config.design` (norms, q/k norms, clamping, soft caps)
    /// and from the weights (biases, fused matrices, RoPE factors).
    ///
    /// Only `outputs` go through the last layer's attention output and feed-forward block (every row's keys
    /// and values are still cached), as llama.cpp does: a prompt that needs only its last position's logits
    /// skips nearly a layer's worth of products.
    ///
    /// Each slice's LoRA adapters are added to the products they adapt, for that slice's rows only
    /// (`AdaptedRows`); returns those rows as they stand at the end (for the output product's adapters).
    @discardableResult
    func forward(_ tokens: ArraySlice<TokenID>, slices: [SequenceSlice], outputs: Range<Int>, buffers b: ActivationBuffers) -> [AdaptedRows] {
        let c = config
        let w = weights
        var n = tokens.count
        let d = c.embeddingLength
        let qWidth = c.headCount * c.headDimension
        let kWidth = c.kvHeadCount * c.headDimension
        let vWidth = c.kvHeadCount * c.valueDimension
        var adapted = slices.adaptedRows
        b.reserve(tokens: n, keys: slices.map { $0.firstPosition + $0.rows.count }.max() ?? 0, adapterRank: adapted.map(\.table.totalRank).max() ?? 0)
        let x = b.x.pointer, normed = b.normed.pointer, sublayer = b.sublayer.pointer
        let q = b.queries.pointer, k = b.newKeys.pointer, v = b.newValues.pointer
        let attended = b.attended.pointer, products = b.products, hidden = b.adapterHidden.pointer
        // The LoRA terms of one product: none without adapters.
        func lora(_ slot: AdapterSlot, _ input: UnsafePointer<Float>) -> [AdapterTerm] { adapted.terms(slot, input: input, hidden: hidden) }

        // x normalized into `out`: RMSNorm with `weight`, else OLMo's LayerNorm, else (OLMo 2 before a
        // sublayer) not at all, and the sublayer reads x itself.
        func normalize(_ weight: [Float]?, rows: Int, into out: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
            if let weight {
                rmsNorm(x, weight: weight, epsilon: c.normEpsilon, rows: rows, into: out)
            } else if c.design.inputNorm == .layerNorm {
                layerNorm(x, width: d, epsilon: c.normEpsilon, rows: rows, into: out)
            } else {
                return x
            }
            return out
        }

        // Token embeddings (n, d), times √d for Gemma.
        for (row, id) in tokens.enumerated() {
            w.tokenEmbedding.copyRow(Int(id), scale: c.embeddingScale, into: x + row * d)
        }
        adapted.addToEmbeddings(tokens, x: x, width: d, embeddingScale: c.embeddingScale)
        // RoPE angles for every row's position, once per variant, shared by every layer that uses it.
        for slice in slices {
            for (offset, row) in slice.rows.enumerated() {
                for (variant, rope) in slice.rotary.enumerated() {
                    rope.angles(position: slice.firstPosition + offset, into: b.rotations[variant].pointer + row * c.ropeDimensions)
                }
            }
        }
        let shape = AttentionShape(
            heads: c.headCount, kvHeads: c.kvHeadCount, headDimension: c.headDimension,
            valueDimension: c.valueDimension, scale: c.attentionScale, softcap: c.attentionSoftcap)

        for (l, layer) in w.layers.enumerated() {
            // Attention block.
            let input = normalize(layer.attentionNorm, rows: n, into: normed)
            layer.query.apply(input, tokens: n, into: q, scratch: products, adapters: lora(.layer(l, .query), input))  // Wq (heads·hd, d) @ x (n, d) -> q (n, heads·hd)
            layer.key.apply(input, tokens: n, into: k, scratch: products, adapters: lora(.layer(l, .key), input))  // Wk (kvHeads·hd, d) -> k (n, kvHeads·hd)
            layer.value.apply(input, tokens: n, into: v, scratch: products, adapters: lora(.layer(l, .value), input))  // Wv (kvHeads·vd, d) -> v (n, kvHeads·vd)
            if let limit = c.queryKeyValueClamp {
                clamp(q, count: n * qWidth, limit: limit)
                clamp(k, count: n * kWidth, limit: limit)
                clamp(v, count: n * vWidth, limit: limit)
            }
            if let queryNorm = layer.queryNorm, let keyNorm = layer.keyNorm {
                // Each head on its own (weights of a head's length) or all heads together (of the whole width).
                rmsNorm(q, weight: queryNorm, epsilon: c.normEpsilon, rows: n * qWidth / queryNorm.count, into: q)
                rmsNorm(k, weight: keyNorm, epsilon: c.normEpsilon, rows: n * kWidth / keyNorm.count, into: k)
            }
            let rope = rotaryEmbeddings[layerRotation[l]]
            let angles = b.rotations[layerRotation[l]].pointer
            for row in 0 ..< n {
                let table = angles + row * c.ropeDimensions
                rope.rotate(q + row * qWidth, heads: c.headCount, headLength: c.headDimension, table: table)
                rope.rotate(k + row * kWidth, heads: c.kvHeadCount, headLength: c.headDimension, table: table)
            }
            for slice in slices {
                // The new keys and values join the sequence's cache; its queries attend over all of it.
                slice.cache.store(
                    layer: l, position: slice.firstPosition, count: slice.rows.count,
                    keys: k + slice.rows.lowerBound * kWidth, values: v + slice.rows.lowerBound * vWidth)
            }
            let attendedWidth = c.headCount * c.valueDimension
            if slices.count > 1 && slices.allSatisfy({ $0.rows.count == 1 }) {
                // A batched decode step: one query per sequence.
                let steps = slices.map { slice in
                    DecodeQuery(
                        queries: q + slice.rows.lowerBound * qWidth, keys: slice.cache.keys(l), values: slice.cache.values(l),
                        position: slice.firstPosition, out: attended + slice.rows.lowerBound * attendedWidth)
                }
                attention(decoding: steps, shape: shape, window: c.layers[l].window, scores: b.scores.pointer)
            } else {
                for slice in slices {
                    attention(
                        queries: q + slice.rows.lowerBound * qWidth, keys: slice.cache.keys(l), values: slice.cache.values(l),
                        shape: shape, first: slice.firstPosition, tokens: slice.rows.count, window: c.layers[l].window,
                        scratch: b.attentionScratch, into: attended + slice.rows.lowerBound * attendedWidth)
                }
            }
            if l == w.layers.count - 1 && outputs != 0 ..< n {
                // From here on only the wanted rows: move them (attended and residual) to the front.
                attended.update(from: attended + outputs.lowerBound * attendedWidth, count: outputs.count * attendedWidth)
                x.update(from: x + outputs.lowerBound * d, count: outputs.count * d)
                n = outputs.count
                adapted = adapted.keeping(outputs)
                if n == 0 { return adapted }
            }
            layer.attentionOutput.apply(attended, tokens: n, into: sublayer, scratch: products, adapters: lora(.layer(l, .attentionOutput), attended))  // Wo (d, heads·vd) -> (n, d)
            if let norm = layer.postAttentionNorm {
                rmsNorm(sublayer, weight: norm, epsilon: c.normEpsilon, rows: n, into: sublayer)
            }
            for i in 0 ..< n * d { x[i] += sublayer[i] }

            // Feed-forward block: down(act(gate(x)) * up(x)).
            let feedForwardInput = normalize(layer.feedForwardNorm, rows: n, into: normed)
            layer.gate.apply(feedForwardInput, tokens: n, into: b.gate.pointer, scratch: products, adapters: lora(.layer(l, .gate), feedForwardInput))  // Wgate (ffn, d) -> (n, ffn)
            layer.up.apply(feedForwardInput, tokens: n, into: b.up.pointer, scratch: products, adapters: lora(.layer(l, .up), feedForwardInput))  // Wup (ffn, d) -> (n, ffn)
            gatedActivation(c.design.activation, gate: b.gate.pointer, up: b.up.pointer, count: n * c.feedForwardLength)
            layer.down.apply(b.gate.pointer, tokens: n, into: sublayer, scratch: products, adapters: lora(.layer(l, .down), b.gate.pointer))  // Wdown (d, ffn) -> (n, d)
            if let norm = layer.postFeedForwardNorm {
                rmsNorm(sublayer, weight: norm, epsilon: c.normEpsilon, rows: n, into: sublayer)
            }
            for i in 0 ..< n * d { x[i] += sublayer[i] }
        }
        _ = normalize(w.outputNorm, rows: n, into: x)  // every design has a final norm: OLMo 2's is an RMSNorm
        return adapted
    }

    /// Logits for `rows` of the last forward pass's hidden states, written (rows, vocabulary) to `out`;
    /// `adapted` are the rows' adapters as `forward` returned them.
    func logits(ofRows rows: Range<Int>, adapted: [AdaptedRows], buffers: ActivationBuffers, into out: UnsafeMutablePointer<Float>) {
        let hidden = buffers.x.pointer + rows.lowerBound * config.embeddingLength
        // Wout (vocab, d) @ h (rows, d) -> (rows, vocab)
        weights.output.apply(
            hidden, tokens: rows.count, into: out, scratch: buffers.products,
            adapters: adapted.keeping(rows).terms(.output, input: hidden, hidden: buffers.adapterHidden.pointer))
        if let cap = config.finalLogitSoftcap {
            softcap(out, count: rows.count * config.vocabularySize, cap: cap)
        }
    }
}
