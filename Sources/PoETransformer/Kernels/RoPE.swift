import Foundation

/// Rotary position embedding for one RoPE variant (base, scale, style, rotated dimensions).
package struct RotaryEmbedding: Sendable {
    package let dimensions: Int
    let base: Float
    let scale: Float
    /// Multiplies cos and sin (LongRoPE's attention factor): queries and keys grow by it.
    let attentionFactor: Float
    let style: TransformerConfig.RoPEStyle
    /// Llama 3's `rope_freqs` or LongRoPE's factors: each frequency i is divided by `frequencyFactors[i]`.
    let frequencyFactors: [Float]?
    /// YaRN's ramp: pair i keeps its unscaled angle with weight 1 − clamp((i − low) / (high − low), 0, 1).
    struct YaRNRamp: Equatable {
        let low: Float
        let high: Float
    }

    /// YaRN's ramp; nil without YaRN.
    let yarnRamp: YaRNRamp?

    init(dimensions: Int, layer: TransformerConfig.LayerAttention, style: TransformerConfig.RoPEStyle, frequencyFactors: [Float]?) {
        self.dimensions = dimensions
        base = layer.ropeBase
        scale = layer.ropeScale
        attentionFactor = layer.ropeAttentionFactor
        self.style = style
        self.frequencyFactors = frequencyFactors
        yarnRamp = layer.yarnOriginalContext.map { original in
            // ggml's rope_yarn_corr_dims: the pairs whose period spans 32 turns (beta_fast) and 1 turn
            // (beta_slow) of the original context.
            let n = Float(dimensions), base = layer.ropeBase
            func pair(turns: Float) -> Float { n * log(Float(original) / (turns * 2 * Float.pi)) / (2 * log(base)) }
            return YaRNRamp(low: max(0, pair(turns: 32).rounded(.down)), high: min(n - 1, pair(turns: 1).rounded(.up)))
        }
    }

    /// Whether both rotate by the same angles.
    func rotatesLike(_ other: RotaryEmbedding) -> Bool {
        base == other.base && scale == other.scale && attentionFactor == other.attentionFactor && frequencyFactors == other.frequencyFactors
            && yarnRamp == other.yarnRamp
    }

    /// Writes the (cos, sin) of every rotated pair at `position` into `table` (`dimensions` floats).
    ///
    /// The angle of pair i is `position · scale · base^(−2i/dimensions)`, with the powers formed by
    /// repeated multiplication in Float exactly as llama.cpp forms them, so that far-out positions
    /// rotate by the same angles as there. Both are multiplied by the attention factor.
    package func angles(position: Int, into table: UnsafeMutablePointer<Float>) {
        let step = pow(base, -2 / Float(dimensions))
        var theta = Float(position)
        for i in 0 ..< dimensions / 2 {
            let unscaled = theta / (frequencyFactors?[i] ?? 1)
            var angle = scale * unscaled
            if let ramp = yarnRamp {
                // YaRN: interpolated for low frequencies, extrapolated (unscaled) for high ones, ramped between.
                let extrapolated = 1 - min(1, max(0, (Float(i) - ramp.low) / max(0.001, ramp.high - ramp.low)))
                angle = angle * (1 - extrapolated) + unscaled * extrapolated
            }
            table[2 * i] = attentionFactor * cos(angle)
            table[2 * i + 1] = attentionFactor * sin(angle)
            theta *= step
        }
    }

    /// Rotates `heads` consecutive head vectors of length `headLength` using a table from `angles`; with
    /// `backward`, by the opposite angles (the rotation is orthogonal, so a gradient goes back through it
    /// that way).
    package func rotate(_ x: UnsafeMutablePointer<Float>, heads: Int, headLength: Int, table: UnsafePointer<Float>, backward: Bool = false) {
        let half = dimensions / 2
        let sign: Float = backward ? -1 : 1
        for h in 0 ..< heads {
            let v = x + h * headLength
            for i in 0 ..< half {
                let c = table[2 * i], s = sign * table[2 * i + 1]
                // adjacentPairs rotates (v[2i], v[2i+1]); halves rotates (v[i], v[i + half]).
                let (j, k) = style == .adjacentPairs ? (2 * i, 2 * i + 1) : (i, i + half)
                let a = v[j], b = v[k]
                v[j] = a * c - b * s
                v[k] = a * s + b * c
            }
        }
    }
}
