// swift-poe's numeric kernels: dequantization of ggml's block formats, products of quantized weight
// rows with float activations, and one query's attention. Each has a portable reference version and x86 AVX2 and AVX-512 versions
// chosen at run time; all compute in float32 from exactly dequantized weights.
#ifndef POE_KERNELS_H
#define POE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// ggml's type numbers for the formats these kernels read.
enum {
    POE_F32 = 0, POE_F16 = 1, POE_Q4_0 = 2, POE_Q4_1 = 3, POE_Q5_0 = 6, POE_Q5_1 = 7, POE_Q8_0 = 8,
    POE_Q4_K = 12, POE_Q5_K = 13, POE_Q6_K = 14, POE_BF16 = 30,
};

/// 1 if `type` is one of the above.
int poe_supports(int type);

/// Writes the `count` values (whole blocks) stored at `source` in `type` to `values`.
/// Returns 0, or -1 for an unsupported type.
int poe_dequantize(int type, const void *source, size_t count, float *values);

/// For rows [row_begin, row_end) of a matrix stored one row per `row_bytes` bytes (each row `n` values of
/// `type`), and `m` activation vectors (`x + i * x_stride`, each `n` floats), writes
/// `y[i * y_stride + row] = dot(row, x_i)`. Each row's blocks are dequantized once for all m vectors, and
/// each vector's sum is formed the same way whatever m is, so results do not depend on batching.
/// Returns 0, or -1 for an unsupported type.
int poe_matmul(int type, const void *weights, size_t row_bytes, int row_begin, int row_end, int n,
               const float *x, size_t x_stride, int m, float *y, size_t y_stride);

/// Which implementation the two functions above run: 2 for AVX-512 products (and AVX2 dequantization),
/// 1 for AVX2/FMA/F16C, 0 for the portable one.
int poe_simd_level(void);

/// The same two functions in a chosen implementation (0, 1 or 2 as above, up to `poe_simd_level()`), for
/// tests and benchmarks that compare them. Return -1 for an implementation not available.
int poe_dequantize_using(int implementation, int type, const void *source, size_t count, float *values);
int poe_matmul_using(int implementation, int type, const void *weights, size_t row_bytes, int row_begin,
                     int row_end, int n, const float *x, size_t x_stride, int m, float *y, size_t y_stride);

/// 32 activations rounded to 8 bits for the integer products (`poe_matmul_q8`): x_j ≈ d · q_j, with
/// d = max|x| / 127 (of the finite values) and q_j = x_j / d rounded to nearest (ties to even); `sum` is
/// d · Σ q_j, the sum of the rounded values, for the formats whose weights have an offset (w = d_w·q + m).
/// (The offset's term is m · sum, so that a product is the dot product of the dequantized weights with the
/// rounded activations. With the exact Σ x_j it is not, and the rounding errors then meet d_w·q, which is
/// never negative, instead of w, which is centred: on SmolLM2's Q4_1 weights that made the logits' mean KL
/// from the exact ones five times larger.)
typedef struct poe_q8_block {
    float d;
    float sum;
    int8_t q[32];
} poe_q8_block;

/// Rounds `m` vectors of `n` floats (`x + i * x_stride`; n a multiple of 32) to n / 32 blocks each, vector i
/// at `out + i * n / 32`. Non-finite values become 0.
void poe_quantize_activations(const float *x, size_t x_stride, int m, int n, poe_q8_block *out);
/// The same in a chosen implementation (0 portable, 1 or 2 AVX2; capped by `poe_simd_level()`); all give
/// the same bits.
void poe_quantize_activations_using(int implementation, const float *x, size_t x_stride, int m, int n, poe_q8_block *out);

/// 1 if `poe_matmul_q8` takes weights of `type`: the block formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K,
/// Q5_K, Q6_K), not F32, F16 or BF16.
int poe_supports_q8(int type);

/// `poe_matmul` with activations rounded to 8 bits (`poe_quantize_activations`, n / 32 blocks per vector):
/// y[i * y_stride + row] = Σ over the row's 32-value groups of d_w·d_x·Σ q_w·q_x (integers, exact), plus
/// m·sum for formats with an offset: the dot product of the dequantized row with the rounded activations. Each integer sum of four neighbouring values is scaled into lane
/// (j / 4) mod 8 of eight float accumulators by a fused multiply-add, and the lanes are summed as
/// `poe_hsum8` sums them, so every implementation gives the same bits, whatever m is.
/// Returns 0, or -1 for a type `poe_supports_q8` refuses.
int poe_matmul_q8(int type, const void *weights, size_t row_bytes, int row_begin, int row_end, int n,
                  const poe_q8_block *x, int m, float *y, size_t y_stride);
/// `poe_matmul_q8` in a chosen implementation (0 portable, 1 AVX2, 2 AVX-512 where it has its own code;
/// capped by `poe_simd_level()`), for tests and benchmarks.
int poe_matmul_q8_using(int implementation, int type, const void *weights, size_t row_bytes, int row_begin, int row_end,
                        int n, const poe_q8_block *x, int m, float *y, size_t y_stride);

/// One query's attention over `count` consecutive cached positions, for `heads` query heads that share
/// one key/value head: for head g, with s_j = scale · q_g·k_j (then softcap · tanh(s_j / softcap) when
/// softcap > 0), out_g (vd floats) = Σ_j softmax(s)_j · v_j,
/// where q_g = q + g · hd, out_g = out + g · vd, k_j = keys + j · key_stride (hd floats) and
/// v_j = values + j · value_stride (vd floats). `scores` is scratch for heads · count floats. Each head's
/// result does not depend on `heads`.
void poe_attend(const float *q, int heads, int hd, const float *keys, size_t key_stride, const float *values, size_t value_stride,
                int vd, int count, float scale, float softcap, float *scores, float *out);
/// `poe_attend` in a chosen implementation (0, 1 or 2, capped by `poe_simd_level()`), for tests.
void poe_attend_using(int implementation, const float *q, int heads, int hd, const float *keys, size_t key_stride,
                      const float *values, size_t value_stride, int vd, int count, float scale, float softcap, float *scores, float *out);

/// `poe_attend` over a cache of IEEE halves (keys and values as `uint16_t`, strides in elements): each
/// element is widened exactly; q, the scores and the sums stay float32.
void poe_attend_f16(const float *q, int heads, int hd, const uint16_t *keys, size_t key_stride, const uint16_t *values,
                    size_t value_stride, int vd, int count, float scale, float softcap, float *scores, float *out);
/// `poe_attend_f16` in a chosen implementation (0, 1 or 2, capped by `poe_simd_level()`), for tests.
void poe_attend_f16_using(int implementation, const float *q, int heads, int hd, const uint16_t *keys, size_t key_stride,
                          const uint16_t *values, size_t value_stride, int vd, int count, float scale, float softcap, float *scores,
                          float *out);

/// `count` floats rounded to IEEE halves, to nearest with ties to even (as F16C's `vcvtps2ph` and
/// Swift's `Float16(_:)` round): beyond the half range they become ±infinity, below it subnormals or ±0.
void poe_f16_from_f32(const float *x, size_t count, uint16_t *out);
/// The same in a chosen implementation (0 portable, 1 or 2 F16C); both give the same bits for every
/// number (a NaN stays a NaN, its payload unspecified).
void poe_f16_from_f32_using(int implementation, const float *x, size_t count, uint16_t *out);

/// Softmax over row[begin ..< end] in place; the rest of the `count` entries become 0.
void poe_softmax(float *row, int begin, int end, int count);
/// `poe_softmax` in a chosen implementation (0, 1 or 2, capped by `poe_simd_level()`), for tests.
void poe_softmax_using(int implementation, float *row, int begin, int end, int count);

/// Activations `poe_gated_activation` knows.
enum { POE_SILU = 0, POE_GELU_TANH = 1 };

/// gate[i] = act(gate[i]) · up[i] for SiLU or GELU (tanh approximation), to about one ulp of exp.
void poe_gated_activation(int kind, float *gate, const float *up, size_t count);
/// `poe_gated_activation` in a chosen implementation (0, 1 or 2, capped by `poe_simd_level()`), for tests.
void poe_gated_activation_using(int implementation, int kind, float *gate, const float *up, size_t count);

/// RMS normalization of `rows` vectors of `n` floats: out = x / √(mean(x²) + ε) · weight (x's squares
/// summed in double). `out` may be `x`.
void poe_rms_norm(const float *x, const float *weight, int n, int rows, float epsilon, float *out);
/// The same in a chosen implementation (0 portable, 2 AVX-512; both give the same bits).
void poe_rms_norm_using(int implementation, const float *x, const float *weight, int n, int rows, float epsilon, float *out);

/// A LoRA adapter's term for `m` rows, in two steps (lora.c): hidden_i (rank floats) = x_i · down, then
/// y_i[o] += scale · hidden_i · up[:, o] for o in [begin, end), with x_i = x + i · x_stride (`inputs`
/// floats), y_i = y + i · y_stride, down (inputs, rank) and up (rank, outputs) row-major, each POE_F32 or
/// POE_F16. Every implementation gives the same bits, and each row's result does not depend on m.
void poe_lora_down(int m, int inputs, int rank, const float *x, size_t x_stride, const void *down, int type, float *hidden);
void poe_lora_up(int m, int rank, int begin, int end, int outputs, const void *up, int type, float scale, const float *hidden, float *y,
                 size_t y_stride);
/// The same in a chosen implementation (0 portable, 1 AVX2, 2 AVX-512; falls back to the best available).
void poe_lora_down_using(int implementation, int m, int inputs, int rank, const float *x, size_t x_stride, const void *down, int type,
                         float *hidden);
void poe_lora_up_using(int implementation, int m, int rank, int begin, int end, int outputs, const void *up, int type, float scale,
                       const float *hidden, float *y, size_t y_stride);

/// A pause for spin-wait loops (x86 `pause`), easing the core's pipeline and its sibling thread.
static inline void poe_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

#ifdef __cplusplus
}
#endif

#endif
