/// How the activations enter the products of decoding (and of any forward pass of at most
/// `WeightMatrix.fusedLimit` tokens) with quantized weights.
///
/// - `f32` (the default): each weight is widened to float32 and multiplied with the float32 activation,
///   so the logits match an exact float64 forward pass to float32 rounding.
/// - `q8`: each activation vector is first rounded to 8-bit integers in blocks of 32 with a float scale
///   (`d = max|x| / 127`), and each block of weights is multiplied with it in integers, as llama.cpp
///   does for every quantized type. Fewer instructions per weight: on AVX2 a decode step is up to a third
///   faster. The rounding moves the logits about as far as llama.cpp's own rounding moves them
///   (docs/accuracy.md has the KL divergences). Products with float weights (F32, F16, BF16) and prompts
///   longer than the fused limit, which go through OpenBLAS, stay in float32.
public enum ActivationPrecision: String, Sendable, CaseIterable, Codable {
    /// Float32 activations times exactly dequantized weights (the default).
    case f32
    /// Activations rounded to 8 bits in blocks of 32, multiplied with the weights in integers.
    case q8
}

/// How a session's KV cache stores keys and values.
///
/// - `f32` (the default): as computed, so the logits stay the exact function's.
/// - `f16`: rounded to IEEE halves (to nearest, ties to even), as llama.cpp's default cache stores them:
///   half the memory and half the bytes a decode step's attention reads. Queries, scores and sums stay
///   float32. The rounding moves the logits slightly (docs/accuracy.md has the KL divergences).
public enum KVCachePrecision: String, Sendable, CaseIterable, Codable {
    /// Keys and values as computed, in float32 (the default).
    case f32
    /// Keys and values rounded to IEEE halves.
    case f16

    /// Bytes per stored element.
    var elementBytes: Int { self == .f32 ? 4 : 2 }
}
