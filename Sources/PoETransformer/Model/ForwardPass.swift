import PoE

extension TransformerSession {
    /// Runs `chunk` (tokens at positions `firstPosition...`) through every layer, appending their keys and
    /// values to the cache and leaving the final normalized hidden states in `buffers.x` (tokens, d).
    func forward(_ chunk: ArraySlice<TokenID>, firstPosition: Int) {
        let c = model.config
        let w = model.weights
        let b = buffers
        let n = chunk.count
        let d = c.embeddingLength
        let qWidth = c.headCount * c.headDimension
        let kWidth = c.kvHeadCount * c.headDimension
        let vWidth = c.kvHeadCount * c.valueDimension
        b.reserve(tokens: n, keys: firstPosition + n)
        let x = b.x.pointer, normed = b.normed.pointer, sublayer = b.sublayer.pointer
        let q = b.queries.pointer, attended = b.attended.pointer

        // Token embeddings (n, d), times √d for Gemma.
        for (t, id) in chunk.enumerated() {
            w.tokenEmbedding.copyRow(Int(id), scale: c.embeddingScale, into: x + t * d)
        }
        // RoPE angles for these positions, once per variant, shared by every layer that uses it.
        for (v, rope) in model.rotaryEmbeddings.enumerated() {
            for t in 0 ..< n {
                rope.angles(position: firstPosition + t, into: b.rotations[v].pointer + t * c.ropeDimensions)
            }
        }
        let shape = AttentionShape(
            heads: c.headCount, kvHeads: c.kvHeadCount, headDimension: c.headDimension,
            valueDimension: c.valueDimension, scale: c.attentionScale)

        for (l, layer) in w.layers.enumerated() {
            // Attention block.
            rmsNorm(x, weight: layer.attentionNorm, epsilon: c.rmsEpsilon, rows: n, into: normed)
            let k = cache.keys[l].pointer + firstPosition * kWidth
            let v = cache.values[l].pointer + firstPosition * vWidth
            layer.query.apply(normed, tokens: n, into: q)  // Wq (heads·hd, d) @ x (n, d) -> q (n, heads·hd)
            layer.key.apply(normed, tokens: n, into: k)  // Wk (kvHeads·hd, d) -> k (n, kvHeads·hd), into the cache
            layer.value.apply(normed, tokens: n, into: v)  // Wv (kvHeads·vd, d) -> v (n, kvHeads·vd), into the cache
            if let queryNorm = layer.queryNorm, let keyNorm = layer.keyNorm {
                // Gemma normalizes each head vector on its own.
                rmsNorm(q, weight: queryNorm, epsilon: c.rmsEpsilon, rows: n * c.headCount, into: q)
                rmsNorm(k, weight: keyNorm, epsilon: c.rmsEpsilon, rows: n * c.kvHeadCount, into: k)
            }
            let rope = model.rotaryEmbeddings[model.layerRotation[l]]
            let angles = b.rotations[model.layerRotation[l]].pointer
            for t in 0 ..< n {
                let table = angles + t * c.ropeDimensions
                rope.rotate(q + t * qWidth, heads: c.headCount, headLength: c.headDimension, table: table)
                rope.rotate(k + t * kWidth, heads: c.kvHeadCount, headLength: c.headDimension, table: table)
            }
            attention(
                queries: q, keys: cache.keys[l].pointer, values: cache.values[l].pointer, shape: shape,
                first: firstPosition, tokens: n, window: c.layers[l].window,
                scores: b.scores.pointer, into: attended)
            layer.attentionOutput.apply(attended, tokens: n, into: sublayer)  // Wo (d, heads·vd) -> (n, d)
            if let norm = layer.postAttentionNorm {
                rmsNorm(sublayer, weight: norm, epsilon: c.rmsEpsilon, rows: n, into: sublayer)
            }
            for i in 0 ..< n * d { x[i] += sublayer[i] }

            // Feed-forward block: down(act(gate(x)) * up(x)).
            rmsNorm(x, weight: layer.feedForwardNorm, epsilon: c.rmsEpsilon, rows: n, into: normed)
            layer.gate.apply(normed, tokens: n, into: b.gate.pointer)  // Wgate (ffn, d) -> (n, ffn)
            layer.up.apply(normed, tokens: n, into: b.up.pointer)  // Wup (ffn, d) -> (n, ffn)
            gatedActivation(c.activation, gate: b.gate.pointer, up: b.up.pointer, count: n * c.feedForwardLength)
            layer.down.apply(b.gate.pointer, tokens: n, into: sublayer)  // Wdown (d, ffn) -> (n, d)
            if let norm = layer.postFeedForwardNorm {
                rmsNorm(sublayer, weight: norm, epsilon: c.rmsEpsilon, rows: n, into: sublayer)
            }
            for i in 0 ..< n * d { x[i] += sublayer[i] }
        }
        rmsNorm(x, weight: w.outputNorm, epsilon: c.rmsEpsilon, rows: n, into: x)
    }

    /// Logits for rows `rows` of the last forward pass's hidden states, written (rows, vocabulary) to `out`.
    func logits(ofRows rows: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        let c = model.config
        let hidden = buffers.x.pointer + rows.lowerBound * c.embeddingLength
        model.weights.output.apply(hidden, tokens: rows.count, into: out)  // Wout (vocab, d) @ h (rows, d) -> (rows, vocab)
        if let cap = c.finalLogitSoftcap {
            softcap(out, count: rows.count * c.vocabularySize, cap: cap)
        }
    }
}
