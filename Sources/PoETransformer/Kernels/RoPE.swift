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

    init(dimensions: Int, layer: TransformerConfig.LayerAttention, style: TransformerConfig.RoPEStyle, frequencyFactors: [Float]?) {
        self.dimensions = dimensions
        base = layer.ropeBase
        scale = layer.ropeScale
        attentionFactor = layer.ropeAttentionFactor
        self.style = style
        self.frequencyFactors = frequencyFactors
    }

    /// Whether both rotate by the same angles.
    func rotatesLike(_ other: RotaryEmbedding) -> Bool {
        base == other.base && scale == other.scale && attentionFactor == other.attentionFactor && frequencyFactors == other.frequencyFactors
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
            let factor = frequencyFactors?[i] ?? 1
            let angle = scale * (theta / factor)
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
