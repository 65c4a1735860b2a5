import Foundation
import PoEKernels

/// `gate[i] = act(gate[i]) * up[i]`: the gated linear unit of the feed-forward block (in C, vectorized:
/// SiLU, or GELU with the tanh approximation as Gemma was trained).
package func gatedActivation(_ activation: TransformerConfig.Activation, gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
    poe_gated_activation(Int32(activation == .silu ? POE_SILU : POE_GELU_TANH), gate, up, count)
}

/// `x = c · tanh(x / c)`: Gemma 2's soft cap of logits and attention scores.
package func softcap(_ x: UnsafeMutablePointer<Float>, count: Int, cap: Float) {
    for i in 0 ..< count { x[i] = cap * tanh(x[i] / cap) }
}

/// `x = min(max(x, −limit), limit)`: OLMo's clamp of q, k and v.
package func clamp(_ x: UnsafeMutablePointer<Float>, count: Int, limit: Float) {
    for i in 0 ..< count { x[i] = min(max(x[i], -limit), limit) }
}
