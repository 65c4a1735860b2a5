// The x86 implementation: AVX2, FMA and F16C, chosen at run time (`dispatch.c`).
//
// For each format, `unpack_*` turns a block (or a sub-block) into vectors of eight floats holding the
// quantized integers, and its scale (and minimum). Dequantization multiplies by the scale and subtracts
// the minimum, in that order, exactly as the portable code does (so values are bit-identical). Products
// form, for every activation vector, the sum of integer·activation over the sub-block, then scale it:
// Σ (d·q − m)·x = d·Σ q·x − m·Σ x.
#pragma STDC FP_CONTRACT OFF
#include "PoEKernels.h"
#include "blocks.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma,f16c")))
#define INLINE __attribute__((always_inline)) static inline
enum { GROUP = 16 };  // activation vectors whose accumulators one pass over a row keeps

int poe_cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}

// ---- Widening bytes to floats ----------------------------------------------------------------------

TARGET INLINE __m256 u8x8(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v)); }
TARGET INLINE __m256 i8x8(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v)); }
TARGET INLINE __m128i low8(const uint8_t *p) { return _mm_loadl_epi64((const __m128i *)p); }

/// Bits first..first+7 of qh, each as 16 or 0, in eight int32 lanes.
TARGET INLINE __m256i fifth_bits(uint32_t qh, int first) {
    const __m256i shifts = _mm256_add_epi32(_mm256_set1_epi32(first), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m256i bits = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)qh), shifts), _mm256_set1_epi32(1));
    return _mm256_slli_epi32(bits, 4);
}

// ---- Unpacking: 32 integers as four vectors ----------------------------------------------------------

TARGET INLINE void unpack_q4_0(const uint8_t *b, __m256 q[4], float *d) {
    __m128i lo, hi;
    poe_nibbles(b + 2, &lo, &hi);
    const __m128i eight = _mm_set1_epi8(8);
    lo = _mm_sub_epi8(lo, eight);
    hi = _mm_sub_epi8(hi, eight);
    q[0] = i8x8(lo); q[1] = i8x8(_mm_srli_si128(lo, 8)); q[2] = i8x8(hi); q[3] = i8x8(_mm_srli_si128(hi, 8));
    *d = poe_half_f16c(b);
}

TARGET INLINE void unpack_q4_1(const uint8_t *b, __m256 q[4], float *d, float *m) {
    __m128i lo, hi;
    poe_nibbles(b + 4, &lo, &hi);
    q[0] = u8x8(lo); q[1] = u8x8(_mm_srli_si128(lo, 8)); q[2] = u8x8(hi); q[3] = u8x8(_mm_srli_si128(hi, 8));
    *d = poe_half_f16c(b);
    *m = poe_half_f16c(b + 2);
}

/// Q5: nibbles with a fifth bit from qh, less `offset`.
TARGET INLINE void unpack_q5(const uint8_t *qs, uint32_t qh, int offset, __m256 q[4]) {
    __m128i lo, hi;
    poe_nibbles(qs, &lo, &hi);
    const __m256i o = _mm256_set1_epi32(offset);
    const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
    for (int k = 0; k < 4; k++) {
        const __m256i v = _mm256_or_si256(_mm256_cvtepu8_epi32(parts[k]), fifth_bits(qh, 8 * k));
        q[k] = _mm256_cvtepi32_ps(_mm256_sub_epi32(v, o));
    }
}

TARGET INLINE void unpack_q8_0(const uint8_t *b, __m256 q[4], float *d) {
    for (int k = 0; k < 4; k++) q[k] = i8x8(low8(b + 2 + 8 * k));
    *d = poe_half_f16c(b);
}

/// Sub-block pair p of a Q4_K (or, with qh, Q5_K) block: the 32 integers of sub-block 2p then 2p+1.
TARGET INLINE void unpack_k_pair(const uint8_t *qs, const uint8_t *qh, int p, __m256 first[4], __m256 second[4]) {
    const __m256i bytes = _mm256_loadu_si256((const __m256i *)(qs + 32 * p)), mask = _mm256_set1_epi8(0x0F);
    const __m256i lo = _mm256_and_si256(bytes, mask), hi = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), mask);
    // Values 0-31 of the pair's first sub-block are the low nibbles of the 32 bytes, in order.
    const __m128i lo0 = _mm256_castsi256_si128(lo), lo1 = _mm256_extracti128_si256(lo, 1);
    const __m128i hi0 = _mm256_castsi256_si128(hi), hi1 = _mm256_extracti128_si256(hi, 1);
    __m256i a[4] = {_mm256_cvtepu8_epi32(lo0), _mm256_cvtepu8_epi32(_mm_srli_si128(lo0, 8)), _mm256_cvtepu8_epi32(lo1), _mm256_cvtepu8_epi32(_mm_srli_si128(lo1, 8))};
    __m256i b[4] = {_mm256_cvtepu8_epi32(hi0), _mm256_cvtepu8_epi32(_mm_srli_si128(hi0, 8)), _mm256_cvtepu8_epi32(hi1), _mm256_cvtepu8_epi32(_mm_srli_si128(hi1, 8))};
    if (qh) {
        const __m256i one = _mm256_set1_epi32(1);
        for (int k = 0; k < 4; k++) {
            const __m256i h = _mm256_cvtepu8_epi32(low8(qh + 8 * k));
            a[k] = _mm256_add_epi32(a[k], _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(h, 2 * p), one), 4));
            b[k] = _mm256_add_epi32(b[k], _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(h, 2 * p + 1), one), 4));
        }
    }
    for (int k = 0; k < 4; k++) {
        first[k] = _mm256_cvtepi32_ps(a[k]);
        second[k] = _mm256_cvtepi32_ps(b[k]);
    }
}

/// The scale and minimum of Q4_K/Q5_K sub-block s, already multiplied by d and dmin.
TARGET INLINE void k_scale(const uint8_t *b, int s, float *scale, float *minimum) {
    uint8_t sc, mn;
    poe_scale_min_k4(s, b + 4, &sc, &mn);
    *scale = poe_half_f16c(b) * sc;
    *minimum = poe_half_f16c(b + 2) * mn;
}

/// Q6_K: the integers (less 32) of values l0..l0+7 of each quarter of half h, and their sub-blocks' scales.
TARGET INLINE void unpack_q6(const uint8_t *b, int h, int l0, __m256 q[4]) {
    const uint8_t *ql = b + 64 * h, *qh = b + 128 + 32 * h;
    const __m256i a = _mm256_cvtepu8_epi32(low8(ql + l0)), c = _mm256_cvtepu8_epi32(low8(ql + l0 + 32));
    const __m256i hb = _mm256_cvtepu8_epi32(low8(qh + l0));
    const __m256i f = _mm256_set1_epi32(0xF), three = _mm256_set1_epi32(3), bias = _mm256_set1_epi32(32);
    const __m256i v[4] = {
        _mm256_or_si256(_mm256_and_si256(a, f), _mm256_slli_epi32(_mm256_and_si256(hb, three), 4)),
        _mm256_or_si256(_mm256_and_si256(c, f), _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(hb, 2), three), 4)),
        _mm256_or_si256(_mm256_srli_epi32(a, 4), _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(hb, 4), three), 4)),
        _mm256_or_si256(_mm256_srli_epi32(c, 4), _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(hb, 6), three), 4)),
    };
    for (int k = 0; k < 4; k++) q[k] = _mm256_cvtepi32_ps(_mm256_sub_epi32(v[k], bias));
}

// ---- Dequantization ---------------------------------------------------------------------------------

/// y = q·d, then + m (minimum > 0), − m (< 0) or nothing (0: adding +0 would turn −0 into +0).
TARGET INLINE void store_scaled(float *y, const __m256 q[4], float d, float m, int minimum) {
    const __m256 dv = _mm256_set1_ps(d), mv = _mm256_set1_ps(m);
    for (int k = 0; k < 4; k++) {
        const __m256 v = _mm256_mul_ps(q[k], dv);
        _mm256_storeu_ps(y + 8 * k, minimum > 0 ? _mm256_add_ps(v, mv) : minimum < 0 ? _mm256_sub_ps(v, mv) : v);
    }
}

TARGET int poe_dequantize_avx2(int type, const uint8_t *s, size_t count, float *y) {
    __m256 q[4], q2[4];
    float d, m;
    switch (type) {
    case 0: memcpy(y, s, count * 4); return 0;
    case 1:
        for (size_t i = 0; i + 8 <= count; i += 8) _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(s + 2 * i))));
        for (size_t i = count / 8 * 8; i < count; i++) y[i] = poe_half_f16c(s + 2 * i);
        return 0;
    case 30:
        for (size_t i = 0; i + 8 <= count; i += 8) {
            const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(s + 2 * i)));
            _mm256_storeu_ps(y + i, _mm256_castsi256_ps(_mm256_slli_epi32(w, 16)));
        }
        for (size_t i = count / 8 * 8; i < count; i++) { uint32_t bits = (uint32_t)(s[2 * i] | (s[2 * i + 1] << 8)) << 16; memcpy(y + i, &bits, 4); }
        return 0;
    case 2:
        for (size_t b = 0; b < count / 32; b++) { unpack_q4_0(s + b * Q4_0_BYTES, q, &d); store_scaled(y + 32 * b, q, d, 0, 0); }
        return 0;
    case 3:
        for (size_t b = 0; b < count / 32; b++) { unpack_q4_1(s + b * Q4_1_BYTES, q, &d, &m); store_scaled(y + 32 * b, q, d, m, 1); }
        return 0;
    case 6:
        for (size_t b = 0; b < count / 32; b++) {
            const uint8_t *blk = s + b * Q5_0_BYTES;
            unpack_q5(blk + 6, poe_u32(blk + 2), 16, q);
            store_scaled(y + 32 * b, q, poe_half_f16c(blk), 0, 0);
        }
        return 0;
    case 7:
        for (size_t b = 0; b < count / 32; b++) {
            const uint8_t *blk = s + b * Q5_1_BYTES;
            unpack_q5(blk + 8, poe_u32(blk + 4), 0, q);
            store_scaled(y + 32 * b, q, poe_half_f16c(blk), poe_half_f16c(blk + 2), 1);
        }
        return 0;
    case 8:
        for (size_t b = 0; b < count / 32; b++) { unpack_q8_0(s + b * Q8_0_BYTES, q, &d); store_scaled(y + 32 * b, q, d, 0, 0); }
        return 0;
    case 12:
    case 13:
        for (size_t b = 0; b < count / 256; b++) {
            const uint8_t *blk = s + b * (type == 12 ? Q4_K_BYTES : Q5_K_BYTES);
            const uint8_t *qs = blk + (type == 12 ? 16 : 48), *qh = type == 12 ? NULL : blk + 16;
            for (int p = 0; p < 4; p++) {
                float d0, m0, d1, m1;
                unpack_k_pair(qs, qh, p, q, q2);
                k_scale(blk, 2 * p, &d0, &m0);
                k_scale(blk, 2 * p + 1, &d1, &m1);
                store_scaled(y + 256 * b + 64 * p, q, d0, m0, -1);
                store_scaled(y + 256 * b + 64 * p + 32, q2, d1, m1, -1);
            }
        }
        return 0;
    case 14:
        for (size_t b = 0; b < count / 256; b++) {
            const uint8_t *blk = s + b * Q6_K_BYTES;
            const float dd = poe_half_f16c(blk + 208);
            for (int h = 0; h < 2; h++) {
                const int8_t *sc = (const int8_t *)(blk + 192 + 8 * h);
                for (int l0 = 0; l0 < 32; l0 += 8) {
                    unpack_q6(blk, h, l0, q);
                    const int sub = l0 / 16;
                    for (int k = 0; k < 4; k++) {
                        const float scale = dd * (float)sc[sub + 2 * k];
                        _mm256_storeu_ps(y + 256 * b + 128 * h + 32 * k + l0, _mm256_mul_ps(_mm256_set1_ps(scale), q[k]));
                    }
                }
            }
        }
        return 0;
    default:
        return -1;
    }
}

// ---- Products ---------------------------------------------------------------------------------------

/// acc[i] += d·Σ q·x_i − m·Σ x_i over the 32 values at x_i (sign +1 adds the minimum instead).
TARGET INLINE void add32(__m256 *acc, int count, const float *x, size_t stride, const __m256 q[4], float d, float m, float sign) {
    const __m256 dv = _mm256_set1_ps(d);
    for (int i = 0; i < count; i++) {
        const float *v = x + (size_t)i * stride;
        const __m256 x0 = _mm256_loadu_ps(v), x1 = _mm256_loadu_ps(v + 8), x2 = _mm256_loadu_ps(v + 16), x3 = _mm256_loadu_ps(v + 24);
        __m256 t = _mm256_mul_ps(q[0], x0);
        t = _mm256_fmadd_ps(q[1], x1, t);
        t = _mm256_fmadd_ps(q[2], x2, t);
        t = _mm256_fmadd_ps(q[3], x3, t);
        acc[i] = _mm256_fmadd_ps(dv, t, acc[i]);
        if (m != 0) {
            const __m256 total = _mm256_add_ps(_mm256_add_ps(x0, x1), _mm256_add_ps(x2, x3));
            acc[i] = _mm256_fmadd_ps(_mm256_set1_ps(sign * m), total, acc[i]);
        }
    }
}

/// One row against up to GROUP vectors; `count` is a constant where it is inlined for a single vector.
TARGET INLINE void row_product(int type, const uint8_t *row, int n, const float *x, size_t stride, int count, float *out, size_t out_stride) {
    __m256 acc[GROUP], q[4], q2[4];
    float d, m;
    for (int i = 0; i < count; i++) acc[i] = _mm256_setzero_ps();
    switch (type) {
    case 0:
    case 1:
    case 30:
        for (int k = 0; k + 8 <= n; k += 8) {
            __m256 w;
            if (type == 0) w = _mm256_loadu_ps((const float *)row + k);
            else if (type == 1) w = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + 2 * k)));
            else w = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(row + 2 * k))), 16));
            for (int i = 0; i < count; i++) acc[i] = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + (size_t)i * stride + k), acc[i]);
        }
        if (n % 8) {
            // The last n mod 8 values, widened into a zero-padded vector so each sum keeps one shape.
            float w[8] = {0}, v[8] = {0};
            poe_dequantize_portable(type, row + (size_t)(n / 8 * 8) * (type == 0 ? 4 : 2), (size_t)(n % 8), w);
            for (int i = 0; i < count; i++) {
                memcpy(v, x + (size_t)i * stride + n / 8 * 8, sizeof(float) * (size_t)(n % 8));
                acc[i] = _mm256_fmadd_ps(_mm256_loadu_ps(w), _mm256_loadu_ps(v), acc[i]);
            }
        }
        break;
    case 2:
        for (int b = 0; b < n / 32; b++) { unpack_q4_0(row + b * Q4_0_BYTES, q, &d); add32(acc, count, x + 32 * b, stride, q, d, 0, 0); }
        break;
    case 3:
        for (int b = 0; b < n / 32; b++) { unpack_q4_1(row + b * Q4_1_BYTES, q, &d, &m); add32(acc, count, x + 32 * b, stride, q, d, m, 1); }
        break;
    case 6:
        for (int b = 0; b < n / 32; b++) {
            const uint8_t *blk = row + b * Q5_0_BYTES;
            unpack_q5(blk + 6, poe_u32(blk + 2), 16, q);
            add32(acc, count, x + 32 * b, stride, q, poe_half_f16c(blk), 0, 0);
        }
        break;
    case 7:
        for (int b = 0; b < n / 32; b++) {
            const uint8_t *blk = row + b * Q5_1_BYTES;
            unpack_q5(blk + 8, poe_u32(blk + 4), 0, q);
            add32(acc, count, x + 32 * b, stride, q, poe_half_f16c(blk), poe_half_f16c(blk + 2), 1);
        }
        break;
    case 8:
        for (int b = 0; b < n / 32; b++) { unpack_q8_0(row + b * Q8_0_BYTES, q, &d); add32(acc, count, x + 32 * b, stride, q, d, 0, 0); }
        break;
    case 12:
    case 13:
        for (int b = 0; b < n / 256; b++) {
            const uint8_t *blk = row + b * (type == 12 ? Q4_K_BYTES : Q5_K_BYTES);
            const uint8_t *qs = blk + (type == 12 ? 16 : 48), *qh = type == 12 ? NULL : blk + 16;
            for (int p = 0; p < 4; p++) {
                float d0, m0, d1, m1;
                unpack_k_pair(qs, qh, p, q, q2);
                k_scale(blk, 2 * p, &d0, &m0);
                k_scale(blk, 2 * p + 1, &d1, &m1);
                add32(acc, count, x + 256 * b + 64 * p, stride, q, d0, m0, -1);
                add32(acc, count, x + 256 * b + 64 * p + 32, stride, q2, d1, m1, -1);
            }
        }
        break;
    case 14:
        for (int b = 0; b < n / 256; b++) {
            const uint8_t *blk = row + b * Q6_K_BYTES;
            const float dd = poe_half_f16c(blk + 208);
            for (int h = 0; h < 2; h++) {
                const int8_t *sc = (const int8_t *)(blk + 192 + 8 * h);
                for (int l0 = 0; l0 < 32; l0 += 8) {
                    unpack_q6(blk, h, l0, q);
                    for (int k = 0; k < 4; k++) {
                        const __m256 scale = _mm256_set1_ps(dd * (float)sc[l0 / 16 + 2 * k]);
                        const size_t at = 256 * (size_t)b + 128 * h + 32 * k + l0;
                        for (int i = 0; i < count; i++) {
                            acc[i] = _mm256_fmadd_ps(scale, _mm256_mul_ps(q[k], _mm256_loadu_ps(x + (size_t)i * stride + at)), acc[i]);
                        }
                    }
                }
            }
        }
        break;
    }
    for (int i = 0; i < count; i++) out[(size_t)i * out_stride] = poe_hsum8(acc[i]);
}

TARGET int poe_matmul_avx2(int type, const uint8_t *weights, size_t row_bytes, int row_begin, int row_end, int n,
                           const float *x, size_t x_stride, int m, float *y, size_t y_stride) {
    if (!poe_supports(type)) return -1;
    for (int r = row_begin; r < row_end; r++) {
        const uint8_t *row = weights + (size_t)r * row_bytes;
        for (int first = 0; first < m; first += GROUP) {
            const int count = m - first < GROUP ? m - first : GROUP;
            const float *xs = x + (size_t)first * x_stride;
            float *out = y + (size_t)first * y_stride + r;
            if (count == 1) {
                row_product(type, row, n, xs, x_stride, 1, out, y_stride);  // the decode case, with constants folded
            } else {
                row_product(type, row, n, xs, x_stride, count, out, y_stride);
            }
        }
    }
    return 0;
}

#else  // not x86-64: the portable code runs

int poe_cpu_has_avx2(void) { return 0; }
int poe_dequantize_avx2(int type, const uint8_t *s, size_t count, float *y) { return poe_dequantize_portable(type, s, count, y); }
int poe_matmul_avx2(int type, const uint8_t *w, size_t rb, int r0, int r1, int n, const float *x, size_t xs, int m, float *y, size_t ys) {
    return poe_matmul_portable(type, w, rb, r0, r1, n, x, xs, m, y, ys);
}

#endif
