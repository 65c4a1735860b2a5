// ggml's block formats (ggml-quants.c, gguf-py quants.py) and the helpers both implementations share.
#ifndef POE_BLOCKS_H
#define POE_BLOCKS_H

#include <stdint.h>
#include <string.h>
#include <math.h>

// Q4_0: 32 values, x = d * (q - 8).          d: f16 | qs[16] (value j low nibble, value j+16 high nibble)
// Q4_1: 32 values, x = d * q + m.            d: f16 | m: f16 | qs[16]
// Q5_0: 32 values, x = d * (q - 16).         d: f16 | qh: u32 (bit j = fifth bit of value j) | qs[16]
// Q5_1: 32 values, x = d * q + m.            d: f16 | m: f16 | qh: u32 | qs[16]
// Q8_0: 32 values, x = d * q.                d: f16 | qs: 32 x i8
// Q4_K: 256 values in 8 sub-blocks of 32,    d: f16 | dmin: f16 | scales[12] (6-bit scale and min per
//       x = d*scale_s * q - dmin*min_s.      sub-block) | qs[128] (32 bytes per pair of sub-blocks: the
//                                            first in the low nibbles, the second in the high)
// Q5_K: as Q4_K plus a fifth bit,            d | dmin | scales[12] | qh[32] (bit s of qh[l] = fifth bit of
//                                            value l of sub-block s) | qs[128]
// Q6_K: 256 values in 16 sub-blocks of 16,   ql[128] (low 4 bits) | qh[64] (high 2 bits) | scales: 16 x i8
//       x = d*scale_s * (q - 32).            | d: f16. Each half (128 values) uses 64 bytes of ql and 32 of
//                                            qh: values l, l+32, l+64, l+96 take the low/high nibbles of
//                                            ql[l] and ql[l+32] and bit pairs 0-1, 2-3, 4-5, 6-7 of qh[l].
enum {
    Q4_0_BYTES = 18, Q4_1_BYTES = 20, Q5_0_BYTES = 22, Q5_1_BYTES = 24, Q8_0_BYTES = 34,
    Q4_K_BYTES = 144, Q5_K_BYTES = 176, Q6_K_BYTES = 210,
};

/// An IEEE half, widened exactly.
static inline float poe_half(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    const uint32_t sign = (uint32_t)(h >> 15) << 31;
    uint32_t exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF, bits;
    if (exponent == 0x1F) {
        bits = sign | 0x7F800000u | (mantissa << 13);  // inf, nan
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;  // zero
    } else {
        // Subnormal: normalise.
        exponent = 113;
        while (!(mantissa & 0x400)) { mantissa <<= 1; exponent--; }
        bits = sign | (exponent << 23) | ((mantissa & 0x3FF) << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

#if defined(__x86_64__)
#include <immintrin.h>
/// The same by one F16C instruction (exact too), for the SIMD code, whose functions enable F16C.
__attribute__((target("f16c"))) static inline float poe_half_f16c(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    // Compilers like to insert the half into whatever register is free, often an accumulator, and the
    // false dependency serializes the loop. A zero-extending move has none; the empty asm makes the
    // whole register count, so the compiler cannot trade the move for an insert.
    __m128i v = _mm_cvtsi32_si128(h);
    __asm__("" : "+x"(v));
    return _mm_cvtss_f32(_mm_cvtph_ps(v));
}

/// The sum of eight lanes, halves first (the AVX2 products' order, which the AVX-512 Q8_0 code keeps).
__attribute__((target("avx"))) static inline float poe_hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// The low and high nibbles of 16 bytes, as bytes: values 0-15 and 16-31 of a 32-value block.
static inline void poe_nibbles(const uint8_t *qs, __m128i *lo, __m128i *hi) {
    const __m128i bytes = _mm_loadu_si128((const __m128i *)qs), mask = _mm_set1_epi8(0x0F);
    *lo = _mm_and_si128(bytes, mask);
    *hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), mask);
}

/// The lanes of a 16-float vector that hold values when `remaining` values are left (all, some or none).
static inline __mmask16 poe_live16(int remaining) {
    return remaining >= 16 ? 0xFFFF : remaining <= 0 ? 0 : (__mmask16)((1u << remaining) - 1);
}

/// e^x to about one ulp (Cephes' expf: x = n·ln2 + r, a degree-6 polynomial for e^r, then ·2^n by
/// vscalefps, which gives inf and 0 past the float range).
__attribute__((target("avx512f,avx512dq,fma"))) static inline __m512 poe_exp16(__m512 x) {
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1)));
    return _mm512_scalef_ps(p, n);
}
#endif

#if defined(__x86_64__)
/// The lanes of an 8-float vector that hold values when `remaining` are left, as a mask for maskload.
__attribute__((target("avx2"))) static inline __m256i poe_live8(int remaining) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(remaining), lanes);
}

/// e^x as `poe_exp16` forms it, eight at a time: the same reduction and polynomial, then ·2^n through the
/// exponent bits; 0 below −87.33 and inf above 88.72 (where 2^n leaves the normal range).
__attribute__((target("avx2,fma"))) static inline __m256 poe_exp8(__m256 x) {
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1)));
    // 2^n for n in [-126, 127]; outside, the result is 0 or inf.
    const __m256 clamped = _mm256_max_ps(_mm256_min_ps(n, _mm256_set1_ps(127)), _mm256_set1_ps(-126));
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(clamped), _mm256_set1_epi32(127)), 23);
    __m256 e = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
    e = _mm256_blendv_ps(e, _mm256_setzero_ps(), _mm256_cmp_ps(x, _mm256_set1_ps(-87.33654475f), _CMP_LT_OQ));
    e = _mm256_blendv_ps(e, _mm256_set1_ps(INFINITY), _mm256_cmp_ps(x, _mm256_set1_ps(88.72283935f), _CMP_GT_OQ));
    return e;
}
#endif

static inline uint32_t poe_u32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/// The 6-bit scale and minimum of sub-block j (0..7) of a Q4_K or Q5_K block.
static inline void poe_scale_min_k4(int j, const uint8_t *q, uint8_t *scale, uint8_t *min) {
    if (j < 4) {
        *scale = q[j] & 63;
        *min = q[j + 4] & 63;
    } else {
        *scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

/// Bytes per block and values per block of a type (0 for unsupported types).
static inline void poe_layout(int type, int *values, int *bytes) {
    switch (type) {
    case 0: *values = 1; *bytes = 4; return;     // F32
    case 1: *values = 1; *bytes = 2; return;     // F16
    case 30: *values = 1; *bytes = 2; return;    // BF16
    case 2: *values = 32; *bytes = Q4_0_BYTES; return;
    case 3: *values = 32; *bytes = Q4_1_BYTES; return;
    case 6: *values = 32; *bytes = Q5_0_BYTES; return;
    case 7: *values = 32; *bytes = Q5_1_BYTES; return;
    case 8: *values = 32; *bytes = Q8_0_BYTES; return;
    case 12: *values = 256; *bytes = Q4_K_BYTES; return;
    case 13: *values = 256; *bytes = Q5_K_BYTES; return;
    case 14: *values = 256; *bytes = Q6_K_BYTES; return;
    default: *values = 0; *bytes = 0; return;
    }
}

/// Groups of 32 values per block in the integer products (`int8.c`): 8 for the K formats, else 1.
static inline int poe_q8_groups_per_block(int type) { return type == 12 || type == 13 || type == 14 ? 8 : 1; }

/// 1 for the formats whose weights have an offset (w = d·q + m): Q4_1, Q5_1, Q4_K, Q5_K.
static inline int poe_q8_has_offset(int type) { return type == 3 || type == 7 || type == 12 || type == 13; }

// The implementations `dispatch.c` picks from.
int poe_dequantize_portable(int type, const uint8_t *source, size_t count, float *values);
int poe_matmul_portable(int type, const uint8_t *weights, size_t row_bytes, int row_begin, int row_end, int n,
                        const float *x, size_t x_stride, int m, float *y, size_t y_stride);
int poe_dequantize_avx2(int type, const uint8_t *source, size_t count, float *values);
int poe_matmul_avx2(int type, const uint8_t *weights, size_t row_bytes, int row_begin, int row_end, int n,
                    const float *x, size_t x_stride, int m, float *y, size_t y_stride);
int poe_cpu_has_avx2(void);
int poe_matmul_avx512(int type, const uint8_t *weights, size_t row_bytes, int row_begin, int row_end, int n,
                      const float *x, size_t x_stride, int m, float *y, size_t y_stride);
int poe_cpu_has_avx512(void);
typedef struct poe_q8_block poe_q8_block;
int poe_matmul_q8_portable(int type, const uint8_t *weights, size_t row_bytes, int row_begin, int row_end, int n,
                           const poe_q8_block *x, int m, float *y, size_t y_stride);
void poe_quantize_activations_portable(const float *x, size_t x_stride, int m, int n, poe_q8_block *out);
void poe_quantize_activations_avx2(const float *x, size_t x_stride, int m, int n, poe_q8_block *out);
int poe_matmul_q8_avx2(int type, const uint8_t *weights, size_t row_bytes, int row_begin, int row_end, int n,
                       const poe_q8_block *x, int m, float *y, size_t y_stride);

#endif
