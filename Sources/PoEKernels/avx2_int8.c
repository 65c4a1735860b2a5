// The integer products of `int8.c` with AVX2: each group of 32 weights is unpacked to 32 bytes once per
// row, then multiplied with each activation vector's 32 bytes by `vpmaddubsw` (byte pairs into 16 bits)
// and `vpmaddwd` (with the group's scales, into eight 32-bit sums of four values). Neither saturates:
// a byte pair is at most 2 · 128 · 127 = 32 512, and the scaled sums stay far inside 32 bits.
//
// `vpmaddubsw` multiplies unsigned by signed bytes. Formats with an offset store q ≥ 0 and go in as they
// are; the signed ones (Q4_0, Q5_0, Q8_0, Q6_K) go in as |q| against the activations with q's sign.
#pragma STDC FP_CONTRACT OFF
#include "PoEKernels.h"
#include "blocks.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma,f16c")))
#define INLINE __attribute__((always_inline)) static inline

/// One group of 32 weights in integer form: w_j = d · scale_j · q_j + minimum.
typedef struct {
    __m256i q;       // q_j as bytes: unsigned for formats with an offset, signed for the others
    __m256i scales;  // scale_j for each 16-bit pair of bytes (1 for formats with one scale per group)
    float d, minimum;
} group;

/// Bit j of the 32 bits at `p`, for each byte j, as 0x10 or 0.
TARGET INLINE __m256i fifth_bits(const uint8_t *p) {
    // Byte j takes byte j / 8 of the word, then keeps bit j mod 8.
    const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32((int)poe_u32(p)),
        _mm256_setr_epi64x(0, 0x0101010101010101, 0x0202020202020202, 0x0303030303030303));
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit), _mm256_set1_epi8(0x10));
}

/// Values 0-15 from the low nibbles of 16 bytes, 16-31 from the high ones.
TARGET INLINE __m256i nibbles32(const uint8_t *qs) {
    const __m128i bytes = _mm_loadu_si128((const __m128i *)qs);
    const __m256i both = _mm256_set_m128i(_mm_srli_epi16(bytes, 4), bytes);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

/// Group g of the block at `b` (as `integer_group` in int8.c forms it).
TARGET INLINE group unpack(int type, const uint8_t *b, int g) {
    const __m256i ones = _mm256_set1_epi16(1), low = _mm256_set1_epi8(0x0F);
    group w = {.scales = ones, .minimum = 0};
    switch (type) {
    case POE_Q4_0: w.q = _mm256_sub_epi8(nibbles32(b + 2), _mm256_set1_epi8(8)); w.d = poe_half_f16c(b); break;
    case POE_Q4_1: w.q = nibbles32(b + 4); w.d = poe_half_f16c(b); w.minimum = poe_half_f16c(b + 2); break;
    case POE_Q5_0: w.q = _mm256_sub_epi8(_mm256_or_si256(nibbles32(b + 6), fifth_bits(b + 2)), _mm256_set1_epi8(16)); w.d = poe_half_f16c(b); break;
    case POE_Q5_1: w.q = _mm256_or_si256(nibbles32(b + 8), fifth_bits(b + 4)); w.d = poe_half_f16c(b); w.minimum = poe_half_f16c(b + 2); break;
    case POE_Q8_0: w.q = _mm256_loadu_si256((const __m256i *)(b + 2)); w.d = poe_half_f16c(b); break;
    case POE_Q4_K:
    case POE_Q5_K: {
        const int five = type == POE_Q5_K;
        const __m256i bytes = _mm256_loadu_si256((const __m256i *)(b + (five ? 48 : 16) + 32 * (g / 2)));
        w.q = _mm256_and_si256(g % 2 ? _mm256_srli_epi16(bytes, 4) : bytes, low);
        if (five) {
            const __m256i bit = _mm256_set1_epi8((char)(1 << g)), qh = _mm256_loadu_si256((const __m256i *)(b + 16));
            w.q = _mm256_or_si256(w.q, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit), bit), _mm256_set1_epi8(0x10)));
        }
        uint8_t sc, mn;
        poe_scale_min_k4(g, b + 4, &sc, &mn);
        w.scales = _mm256_set1_epi16(sc);
        w.d = poe_half_f16c(b);
        w.minimum = -(poe_half_f16c(b + 2) * (float)mn);
        break;
    }
    case POE_Q6_K: {
        const int h = g / 4, k = g % 4;
        const __m256i ql = _mm256_loadu_si256((const __m256i *)(b + 64 * h + 32 * (k % 2)));
        const __m256i qh = _mm256_loadu_si256((const __m256i *)(b + 128 + 32 * h));
        const __m256i nibble = _mm256_and_si256(k < 2 ? ql : _mm256_srli_epi16(ql, 4), low);
        const __m256i high = _mm256_and_si256(_mm256_slli_epi16(_mm256_srli_epi16(qh, 2 * k), 4), _mm256_set1_epi8(0x30));
        w.q = _mm256_sub_epi8(_mm256_or_si256(nibble, high), _mm256_set1_epi8(32));
        const int8_t *sc = (const int8_t *)(b + 192 + 8 * h + 2 * k);
        // 16-bit lanes 0-7 hold bytes 0-15 (the first 16 values), lanes 8-15 the rest.
        w.scales = _mm256_set_m128i(_mm_set1_epi16(sc[1]), _mm_set1_epi16(sc[0]));
        w.d = poe_half_f16c(b + 208);
        break;
    }
    }
    return w;
}

/// One product's eight lanes: acc += d·dx · (the eight scaled four-value sums of q·qx), where `magnitude`
/// is |q| for signed formats (else q itself).
TARGET INLINE __m256 add_product(__m256 acc, group w, __m256i magnitude, const poe_q8_block *a, int is_signed) {
    __m256i v = _mm256_loadu_si256((const __m256i *)a->q);
    if (is_signed) v = _mm256_sign_epi8(v, w.q);
    const __m256i sums = _mm256_madd_epi16(_mm256_maddubs_epi16(magnitude, v), w.scales);
    // d·dx in every lane: one multiply of broadcasts (the same product as the scalar one).
    const __m256 scale = _mm256_mul_ps(_mm256_set1_ps(w.d), _mm256_broadcast_ss(&a->d));
    return _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(sums), acc);
}

/// |q| for the signed formats (−128 gives 0x80, read as 128), q for the others.
TARGET INLINE __m256i magnitude_of(group w, int is_signed) { return is_signed ? _mm256_sign_epi8(w.q, w.q) : w.q; }

/// One row against one vector (decoding). (Two rows at a time, to overlap their chains of multiply-adds,
/// ran 10 % faster on the K formats but four times slower on Gemma's Q8_0 output matrix.)
TARGET INLINE float row_product(int type, const uint8_t *row, int block_bytes, int groups, const poe_q8_block *x) {
    const int per_block = poe_q8_groups_per_block(type), has_offset = poe_q8_has_offset(type), is_signed = !has_offset;
    __m256 acc = _mm256_setzero_ps();
    float offset = 0;
    for (int g = 0; g < groups; g++) {
        const group w = unpack(type, row + (size_t)(g / per_block) * (size_t)block_bytes, g % per_block);
        acc = add_product(acc, w, magnitude_of(w, is_signed), x + g, is_signed);
        if (has_offset) offset += w.minimum * x[g].sum;
    }
    return poe_hsum8(acc) + offset;
}

// Vectors per pass over a row in batched decoding. Measured on Q8_0, Q5_0, Q4_K and Q6_K: 8 is fastest;
// two rows by four vectors ran 5-20 % slower, and 12 vectors half as fast (the accumulators spill).
enum { TILE = 8 };

/// One row against up to TILE vectors (batched decoding): each group of weights is unpacked once for all
/// of them, and the accumulators stay in registers. Vectors past `count` repeat the first one and their
/// results are dropped.
TARGET INLINE void tile_product(int type, const uint8_t *row, int block_bytes, int groups, const poe_q8_block *x, size_t stride, int count,
                                float *out, size_t out_stride) {
    const int per_block = poe_q8_groups_per_block(type), has_offset = poe_q8_has_offset(type), is_signed = !has_offset;
    const poe_q8_block *vector[TILE];
    for (int i = 0; i < TILE; i++) vector[i] = x + (i < count ? (size_t)i * stride : 0);
    __m256 acc[TILE];
    float offset[TILE];
    for (int i = 0; i < TILE; i++) { acc[i] = _mm256_setzero_ps(); offset[i] = 0; }
    for (int g = 0; g < groups; g++) {
        const group w = unpack(type, row + (size_t)(g / per_block) * (size_t)block_bytes, g % per_block);
        const __m256i magnitude = magnitude_of(w, is_signed);
        for (int i = 0; i < TILE; i++) {
            acc[i] = add_product(acc[i], w, magnitude, vector[i] + g, is_signed);
            if (has_offset) offset[i] += w.minimum * vector[i][g].sum;
        }
    }
    for (int i = 0; i < count; i++) out[(size_t)i * out_stride] = poe_hsum8(acc[i]) + offset[i];
}

/// `poe_quantize_activations` eight values at a time, with the same bits: the same largest magnitude, the
/// same division and reciprocal, rounding to nearest even, and the same integer sum.
TARGET void poe_quantize_activations_avx2(const float *x, size_t x_stride, int m, int n, poe_q8_block *out) {
    const int groups = n / 32;
    const __m256 sign = _mm256_set1_ps(-0.0f), infinity = _mm256_set1_ps(INFINITY);
    for (int i = 0; i < m; i++) {
        for (int g = 0; g < groups; g++) {
            const float *values = x + (size_t)i * x_stride + 32 * g;
            poe_q8_block *block = out + (size_t)i * (size_t)groups + g;
            __m256 v[4], largest = _mm256_setzero_ps();
            for (int k = 0; k < 4; k++) {
                v[k] = _mm256_loadu_ps(values + 8 * k);
                const __m256 a = _mm256_andnot_ps(sign, v[k]);
                // Only finite magnitudes count (NaN and inf compare false here).
                largest = _mm256_max_ps(largest, _mm256_and_ps(a, _mm256_cmp_ps(a, infinity, _CMP_LT_OQ)));
            }
            __m128 l = _mm_max_ps(_mm256_castps256_ps128(largest), _mm256_extractf128_ps(largest, 1));
            l = _mm_max_ps(l, _mm_movehl_ps(l, l));
            l = _mm_max_ss(l, _mm_movehdup_ps(l));
            const float d = _mm_cvtss_f32(l) / 127, inverse = d != 0 ? 1 / d : 0;
            const __m256 scale = _mm256_set1_ps(inverse);
            __m256i q[4];
            for (int k = 0; k < 4; k++) {
                const __m256 finite = _mm256_cmp_ps(_mm256_andnot_ps(sign, v[k]), infinity, _CMP_LT_OQ);
                __m256 r = _mm256_round_ps(_mm256_mul_ps(v[k], scale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
                r = _mm256_min_ps(_mm256_max_ps(_mm256_and_ps(r, finite), _mm256_set1_ps(-127)), _mm256_set1_ps(127));
                q[k] = _mm256_cvtps_epi32(r);
            }
            // 32 int32 to 32 bytes in order (the packs interleave 128-bit halves; the permute undoes it).
            const __m256i words = _mm256_packs_epi32(q[0], q[1]), words2 = _mm256_packs_epi32(q[2], q[3]);
            const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(words, words2), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            _mm256_storeu_si256((__m256i *)block->q, bytes);
            block->d = d;
            // Σq: the bytes' sums against ones, in 16 then 32 bits, then across lanes (exact integers).
            const __m256i pairs = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), bytes), _mm256_set1_epi16(1));
            __m128i t = _mm_add_epi32(_mm256_castsi256_si128(pairs), _mm256_extracti128_si256(pairs, 1));
            t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4E));
            t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xB1));
            block->sum = d * (float)_mm_cvtsi128_si32(t);
        }
    }
}

/// The row loop for one type, so that `unpack`'s switch folds away in each copy.
#define ROWS(TYPE)                                                                                                   \
    if (m == 1) {                                                                                                    \
        for (int r = row_begin; r < row_end; r++) y[r] = row_product(TYPE, weights + (size_t)r * row_bytes, block_bytes, groups, x); \
        return 0;                                                                                                    \
    }                                                                                                                \
    for (int r = row_begin; r < row_end; r++) {                                                                      \
        for (int first = 0; first < m; first += TILE) {                                                              \
            const int count = m - first < TILE ? m - first : TILE;                                                   \
            tile_product(TYPE, weights + (size_t)r * row_bytes, block_bytes, groups, x + (size_t)first * (size_t)groups, \
                         (size_t)groups, count, y + (size_t)first * y_stride + r, y_stride);                         \
        }                                                                                                            \
    }                                                                                                                \
    return 0;

TARGET int poe_matmul_q8_avx2(int type, const uint8_t *weights, size_t row_bytes, int row_begin, int row_end, int n,
                              const poe_q8_block *x, int m, float *y, size_t y_stride) {
    int block_values, block_bytes;
    poe_layout(type, &block_values, &block_bytes);
    const int groups = n / 32;
    switch (type) {
    case POE_Q4_0: ROWS(POE_Q4_0)
    case POE_Q4_1: ROWS(POE_Q4_1)
    case POE_Q5_0: ROWS(POE_Q5_0)
    case POE_Q5_1: ROWS(POE_Q5_1)
    case POE_Q8_0: ROWS(POE_Q8_0)
    case POE_Q4_K: ROWS(POE_Q4_K)
    case POE_Q5_K: ROWS(POE_Q5_K)
    case POE_Q6_K: ROWS(POE_Q6_K)
    default: return -1;
    }
}

#else  // not x86-64: the portable code runs

int poe_matmul_q8_avx2(int type, const uint8_t *w, size_t rb, int r0, int r1, int n, const poe_q8_block *x, int m, float *y, size_t ys) {
    return poe_matmul_q8_portable(type, w, rb, r0, r1, n, x, m, y, ys);
}
void poe_quantize_activations_avx2(const float *x, size_t x_stride, int m, int n, poe_q8_block *out) {
    poe_quantize_activations_portable(x, x_stride, m, n, out);
}

#endif
