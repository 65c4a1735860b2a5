import Foundation

/// `gate[i] = act(gate[i]) * up[i]`: the gated linear unit of the feed-forward block.
func gatedActivation(_ activation: TransformerConfig.Activation, gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
    switch activation {
    case .silu:
        for i in 0 ..< count {
            let g = gate[i]
            gate[i] = g / (1 + exp(-g)) * up[i]
        }
    case .geluTanh:
        for i in 0 ..< count { gate[i] = gelu(gate[i]) * up[i] }
    }
}

/// GELU with the tanh approximation, as Gemma was trained: 0.5·x·(1 + tanh(√(2/π)·x·(1 + 0.044715·x²))).
@inline(__always)
private func gelu(_ x: Float) -> Float {
    let sqrtTwoOverPi: Float = 0.797_884_560_802_865_4
    return 0.5 * x * (1 + tanh(sqrtTwoOverPi * x * (1 + 0.044715 * x * x)))
}

/// `x = c · tanh(x / c)`, Gemma 2's final-logit soft cap.
func softcap(_ x: UnsafeMutablePointer<Float>, count: Int, cap: Float) {
    for i in 0 ..< count { x[i] = cap * tanh(x[i] / cap) }
}
