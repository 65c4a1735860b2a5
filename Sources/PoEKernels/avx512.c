// Products on x86 with AVX-512 (F, BW, VL, DQ), chosen at run time (`dispatch.c`); dequantization uses
// the AVX2 code, whose values are already exact.
//
// Every product here is the float32 dot product of an exactly dequantized weight row w with an activation
// vector x, summed in one fixed way: lane l of accumulator 0 adds w[j]·x[j] (fused) for the j ≡ l (mod 32)
// in the first half of each 32-value group, accumulator 1 the second halves, group after group; the
// result is the sum of the 32 lanes. Two paths compute exactly that:
//   - one vector (decoding): each group is unpacked straight from its block into registers (two rows
//     at a time, for four independent chains);
//   - several vectors (batched decoding): four rows are dequantized into a small buffer, then multiplied
//     with two vectors at a time (sixteen accumulators), so each loaded value serves several products.
// Both give the same bits for a vector whatever else is in the batch.
//
// Q8_0 is the exception: it keeps the AVX2 code's arithmetic (one vector goes to `poe_matmul_avx2`,
// several to `q8_0_pairs`), because streaming a large Q8_0 matrix that way is about a third faster here.
#pragma STDC FP_CONTRACT OFF
#include "PoEKernels.h"
#include "blocks.h"
#include <stdlib.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")))
#define INLINE __attribute__((always_inline)) static inline

int poe_cpu_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512dq") && poe_cpu_has_avx2();
}

// ---- Unpacking one 32-value group into two vectors of dequantized weights ----------------------------
//
// The 4- and 5-bit types look their weights up: a block (or K-quant sub-block) has only 16 or 32 possible
// weights, so they are computed once per block, with the portable code's arithmetic, and each value's bits
// index them (a permute), in place of a conversion, a multiply and an add per value.

TARGET INLINE __m128i load16(const uint8_t *p) { return _mm_loadu_si128((const __m128i *)p); }

/// 0, 1, ..., 15 as floats.
TARGET INLINE __m512 iota16(void) { return _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }

/// Sixteen weights looked up by 5-bit values: the nibbles, with 16 added where `high` has a bit, index a
/// 32-entry table held as `low` (entries 0 ..< 16) and `high_table` (16 ..< 32).
TARGET INLINE __m512 lookup32(__m128i nibbles, __mmask16 high, __m512 low, __m512 high_table) {
    const __m512i v = _mm512_cvtepu8_epi32(nibbles);
    return _mm512_permutex2var_ps(low, _mm512_mask_or_epi32(v, high, v, _mm512_set1_epi32(16)), high_table);
}

/// q·d, then + m (`minimum` > 0), − m (< 0) or nothing: as the portable code dequantizes, two roundings.
TARGET INLINE __m512 scaled(__m512 q, float d, float m, int minimum) {
    const __m512 v = _mm512_mul_ps(q, _mm512_set1_ps(d));
    return minimum > 0 ? _mm512_add_ps(v, _mm512_set1_ps(m)) : minimum < 0 ? _mm512_sub_ps(v, _mm512_set1_ps(m)) : v;
}

/// Weights 32g ..< 32g + 32 of a quantized row (`n` a multiple of the block size) into w0 and w1.
TARGET INLINE void unpack32(int type, const uint8_t *row, int g, __m512 *w0, __m512 *w1) {
    __m128i lo, hi;
    switch (type) {
    case POE_Q4_0: {
        const uint8_t *b = row + (size_t)g * Q4_0_BYTES;
        const __m512 table = scaled(_mm512_sub_ps(iota16(), _mm512_set1_ps(8)), poe_half_f16c(b), 0, 0);  // (q − 8)·d
        poe_nibbles(b + 2, &lo, &hi);
        *w0 = lookup32(lo, 0, table, table);
        *w1 = lookup32(hi, 0, table, table);
        return;
    }
    case POE_Q4_1: {
        const uint8_t *b = row + (size_t)g * Q4_1_BYTES;
        const __m512 table = scaled(iota16(), poe_half_f16c(b), poe_half_f16c(b + 2), 1);  // q·d + m
        poe_nibbles(b + 4, &lo, &hi);
        *w0 = lookup32(lo, 0, table, table);
        *w1 = lookup32(hi, 0, table, table);
        return;
    }
    case POE_Q5_0: {
        // The block's 32 possible weights, (q − 16)·d for q = 0 ..< 32, in two tables; each weight is a
        // lookup by its 5-bit value (the same products the portable code forms, so the same bits).
        const uint8_t *b = row + (size_t)g * Q5_0_BYTES;
        const float d = poe_half_f16c(b);
        const __m512 below = scaled(_mm512_sub_ps(iota16(), _mm512_set1_ps(16)), d, 0, 0), above = scaled(iota16(), d, 0, 0);
        const uint32_t qh = poe_u32(b + 2);
        poe_nibbles(b + 6, &lo, &hi);
        *w0 = lookup32(lo, (__mmask16)qh, below, above);
        *w1 = lookup32(hi, (__mmask16)(qh >> 16), below, above);
        return;
    }
    case POE_Q5_1: {
        const uint8_t *b = row + (size_t)g * Q5_1_BYTES;
        const float d = poe_half_f16c(b), m = poe_half_f16c(b + 2);
        const __m512 below = scaled(iota16(), d, m, 1), above = scaled(_mm512_add_ps(iota16(), _mm512_set1_ps(16)), d, m, 1);
        const uint32_t qh = poe_u32(b + 4);
        poe_nibbles(b + 8, &lo, &hi);
        *w0 = lookup32(lo, (__mmask16)qh, below, above);
        *w1 = lookup32(hi, (__mmask16)(qh >> 16), below, above);
        return;
    }
    case POE_Q4_K:
    case POE_Q5_K: {
        // Sub-block s = 2p + half: the low (half 0) or high (half 1) nibbles of qs[32p ..< 32p + 32].
        const int q5 = type == POE_Q5_K, s = g % 8, p = s / 2, half = s % 2;
        const uint8_t *b = row + (size_t)(g / 8) * (q5 ? Q5_K_BYTES : Q4_K_BYTES), *qs = b + (q5 ? 48 : 16) + 32 * p;
        uint8_t scale, minimum;
        poe_scale_min_k4(s, b + 4, &scale, &minimum);
        const float d = poe_half_f16c(b) * scale, m = poe_half_f16c(b + 2) * minimum;
        // The sub-block's possible weights q·d − m, looked up as for Q5_0.
        const __m512 below = scaled(iota16(), d, m, -1);
        const __m512 above = q5 ? scaled(_mm512_add_ps(iota16(), _mm512_set1_ps(16)), d, m, -1) : below;
        __m128i lo1, hi1;
        poe_nibbles(qs, &lo, &hi);
        poe_nibbles(qs + 16, &lo1, &hi1);
        __mmask32 fifth = 0;
        if (q5) fifth = _mm256_test_epi8_mask(_mm256_loadu_si256((const __m256i *)(b + 16)), _mm256_set1_epi8((char)(1 << s)));
        *w0 = lookup32(half ? hi : lo, (__mmask16)fifth, below, above);
        *w1 = lookup32(half ? hi1 : lo1, (__mmask16)(fifth >> 16), below, above);
        return;
    }
    case POE_Q6_K: {
        // Sub-block s: quarter k = s % 4 of half h = s / 4; values l = 0 ..< 32 of it come from the low
        // (k even) or high nibbles of ql[l + 32·(k odd)] and bit pair k of qh[l].
        const int s = g % 8, h = s / 4, k = s % 4;
        const uint8_t *b = row + (size_t)(g / 8) * Q6_K_BYTES, *ql = b + 64 * h + 32 * (k & 1), *qh = b + 128 + 32 * h;
        const int8_t *sc = (const int8_t *)(b + 192 + 8 * h);
        const float d = poe_half_f16c(b + 208);
        __m512 w[2];
        for (int part = 0; part < 2; part++) {
            const __m512i low = _mm512_cvtepu8_epi32(load16(ql + 16 * part)), high = _mm512_cvtepu8_epi32(load16(qh + 16 * part));
            const __m512i four = k < 2 ? _mm512_and_si512(low, _mm512_set1_epi32(0xF)) : _mm512_srli_epi32(low, 4);
            const __m512i two = _mm512_and_si512(_mm512_srli_epi32(high, 2 * k), _mm512_set1_epi32(3));
            const __m512i q = _mm512_sub_epi32(_mm512_or_si512(four, _mm512_slli_epi32(two, 4)), _mm512_set1_epi32(32));
            // As the portable code: (d · scale) · q.
            w[part] = scaled(_mm512_cvtepi32_ps(q), d * (float)sc[2 * k + part], 0, 0);
        }
        *w0 = w[0];
        *w1 = w[1];
        return;
    }
    }
}

/// Weights 32g ..< 32g + 32 of a float row of `n` values (F32, F16, BF16), zero past its end.
TARGET INLINE void load_float32(int type, const uint8_t *row, int n, int g, __m512 *w0, __m512 *w1) {
    __m512 w[2];
    for (int part = 0; part < 2; part++) {
        const int k = 32 * g + 16 * part;
        const __mmask16 live = poe_live16(n - k);
        if (type == POE_F32) w[part] = _mm512_maskz_loadu_ps(live, (const float *)row + k);
        else if (type == POE_F16) w[part] = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(live, row + 2 * k));
        else w[part] = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(live, row + 2 * k)), 16));
    }
    *w0 = w[0];
    *w1 = w[1];
}

TARGET INLINE int is_float(int type) { return type == POE_F32 || type == POE_F16 || type == POE_BF16; }

/// x[32g ..< 32g + 32], zero past `n`.
TARGET INLINE void load_x(const float *x, int n, int g, __m512 *x0, __m512 *x1) {
    const int k = 32 * g;
    if (n - k >= 32) {
        *x0 = _mm512_loadu_ps(x + k);
        *x1 = _mm512_loadu_ps(x + k + 16);
        return;
    }
    const __mmask16 live0 = poe_live16(n - k), live1 = poe_live16(n - k - 16);
    *x0 = _mm512_maskz_loadu_ps(live0, x + k);
    *x1 = _mm512_maskz_loadu_ps(live1, x + k + 16);
}

TARGET INLINE float finish(__m512 a0, __m512 a1) { return _mm512_reduce_add_ps(_mm512_add_ps(a0, a1)); }

// ---- One vector: rows unpacked straight into registers -----------------------------------------------

#ifndef PREFETCH
#define PREFETCH 1024
#endif

/// y[r] = w_r · x for rows r0 and r0 + 1 (or r0 alone when `two` is 0).
TARGET INLINE void rows_times_vector(int type, const uint8_t *w, size_t row_bytes, int r0, int two, int n, const float *x, float *y) {
    const uint8_t *a = w + (size_t)r0 * row_bytes, *b = a + row_bytes;
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, b0 = a0, b1 = a0, w0, w1, x0, x1;
    const int groups = (n + 31) / 32;
    const size_t group_bytes = row_bytes / (size_t)groups;
    for (int g = 0; g < groups; g++) {
        _mm_prefetch((const char *)a + group_bytes * (size_t)g + PREFETCH, _MM_HINT_T0);
        if (two) _mm_prefetch((const char *)b + group_bytes * (size_t)g + PREFETCH, _MM_HINT_T0);
        load_x(x, n, g, &x0, &x1);
        if (is_float(type)) load_float32(type, a, n, g, &w0, &w1); else unpack32(type, a, g, &w0, &w1);
        a0 = _mm512_fmadd_ps(w0, x0, a0);
        a1 = _mm512_fmadd_ps(w1, x1, a1);
        if (two) {
            if (is_float(type)) load_float32(type, b, n, g, &w0, &w1); else unpack32(type, b, g, &w0, &w1);
            b0 = _mm512_fmadd_ps(w0, x0, b0);
            b1 = _mm512_fmadd_ps(w1, x1, b1);
        }
    }
    y[r0] = finish(a0, a1);
    if (two) y[r0 + 1] = finish(b0, b1);
}

// ---- Several vectors: rows dequantized to a buffer, then a register-blocked product ------------------

enum { TILE_ROWS = 4, TILE_VECTORS = 2 };

/// For R rows of dequantized weights (`w`, each `padded` floats) and V vectors: y[v][r] = w_r · x_v.
TARGET INLINE void tile_product(const float *w, int padded, int R, const float *x, size_t x_stride, int V, int n, float *y, size_t y_stride) {
    __m512 acc[TILE_ROWS][TILE_VECTORS][2];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < V; v++) acc[r][v][0] = acc[r][v][1] = _mm512_setzero_ps();
    const int groups = padded / 32;
    for (int g = 0; g < groups; g++) {
        __m512 x0[TILE_VECTORS], x1[TILE_VECTORS];
        for (int v = 0; v < V; v++) load_x(x + (size_t)v * x_stride, n, g, &x0[v], &x1[v]);
        for (int r = 0; r < R; r++) {
            const __m512 w0 = _mm512_loadu_ps(w + (size_t)r * padded + 32 * g), w1 = _mm512_loadu_ps(w + (size_t)r * padded + 32 * g + 16);
            for (int v = 0; v < V; v++) {
                acc[r][v][0] = _mm512_fmadd_ps(w0, x0[v], acc[r][v][0]);
                acc[r][v][1] = _mm512_fmadd_ps(w1, x1[v], acc[r][v][1]);
            }
        }
    }
    for (int r = 0; r < R; r++)
        for (int v = 0; v < V; v++) y[(size_t)v * y_stride + r] = finish(acc[r][v][0], acc[r][v][1]);
}

// ---- Q8_0 with several vectors, in the AVX2 code's arithmetic -----------------------------------------

enum { PAIR_GROUP = 4 };  // pairs of vectors per pass over the rows

/// One pass of `q8_0_pairs`: `rows` (1 or 2) rows from `row` against pairs p0 ..< p0 + count.
TARGET INLINE void q8_0_pairs_pass(const uint8_t *row, size_t row_bytes, int rows, int blocks, int n, const float *xs,
                                   int p0, int count, int m, float *y, size_t y_stride, int r) {
    __m512 acc[2][PAIR_GROUP];
    for (int i = 0; i < rows; i++)
        for (int p = 0; p < count; p++) acc[i][p] = _mm512_setzero_ps();
    for (int b = 0; b < blocks; b++) {
        __m512 q[2][4], d[2];
        for (int i = 0; i < rows; i++) {
            const uint8_t *blk = row + (size_t)i * row_bytes + (size_t)b * Q8_0_BYTES;
            for (int k = 0; k < 4; k++) {
                q[i][k] = _mm512_broadcast_f32x8(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(blk + 2 + 8 * k)))));
            }
            d[i] = _mm512_set1_ps(poe_half_f16c(blk));
        }
        for (int p = 0; p < count; p++) {
            const float *v = xs + (size_t)(p0 + p) * 2 * n + 64 * b;
            const __m512 x0 = _mm512_loadu_ps(v), x1 = _mm512_loadu_ps(v + 16), x2 = _mm512_loadu_ps(v + 32),
                         x3 = _mm512_loadu_ps(v + 48);
            for (int i = 0; i < rows; i++) {
                __m512 t = _mm512_mul_ps(q[i][0], x0);
                t = _mm512_fmadd_ps(q[i][1], x1, t);
                t = _mm512_fmadd_ps(q[i][2], x2, t);
                t = _mm512_fmadd_ps(q[i][3], x3, t);
                acc[i][p] = _mm512_fmadd_ps(d[i], t, acc[i][p]);
            }
        }
    }
    for (int i = 0; i < rows; i++) {
        for (int p = 0; p < count; p++) {
            const int v = 2 * (p0 + p);
            y[(size_t)v * y_stride + r + i] = poe_hsum8(_mm512_castps512_ps256(acc[i][p]));
            if (v + 1 < m) y[(size_t)(v + 1) * y_stride + r + i] = poe_hsum8(_mm512_extractf32x8_ps(acc[i][p], 1));
        }
    }
}

/// Q8_0 products for m ≥ 2 vectors, computing for each what `poe_matmul_avx2` computes: per block,
/// t = Σ_k q_k·x_k over four pieces of eight (a product, then three fused multiply-adds), acc += d·t,
/// then the AVX2 horizontal sum. Vectors go in pairs, one per half of a 512-bit register: they are first
/// interleaved eight floats at a time, so one load brings both pieces. Two rows share each load, and
/// eight chains (two rows by four pairs) hide the latency of the multiply-adds.
TARGET static int q8_0_pairs(const uint8_t *weights, size_t row_bytes, int row_begin, int row_end, int n, const float *x,
                             size_t x_stride, int m, float *y, size_t y_stride) {
    const int pairs = (m + 1) / 2, blocks = n / 32;
    float *xs = malloc(sizeof(float) * (size_t)pairs * 2 * (size_t)n);
    if (!xs) return -1;
    for (int p = 0; p < pairs; p++) {
        for (int k = 0; k < n; k += 8) {
            float *out = xs + (size_t)p * 2 * n + 2 * k;
            memcpy(out, x + (size_t)(2 * p) * x_stride + k, 8 * sizeof(float));
            if (2 * p + 1 < m) memcpy(out + 8, x + (size_t)(2 * p + 1) * x_stride + k, 8 * sizeof(float));
            else memset(out + 8, 0, 8 * sizeof(float));
        }
    }
    for (int r = row_begin; r < row_end; r += 2) {
        const uint8_t *row = weights + (size_t)r * row_bytes;
        for (int p0 = 0; p0 < pairs; p0 += PAIR_GROUP) {
            const int count = pairs - p0 < PAIR_GROUP ? pairs - p0 : PAIR_GROUP;
            if (r + 1 < row_end) q8_0_pairs_pass(row, row_bytes, 2, blocks, n, xs, p0, count, m, y, y_stride, r);
            else q8_0_pairs_pass(row, row_bytes, 1, blocks, n, xs, p0, count, m, y, y_stride, r);
        }
    }
    free(xs);
    return 0;
}

TARGET int poe_matmul_avx512(int type, const uint8_t *weights, size_t row_bytes, int row_begin, int row_end, int n,
                             const float *x, size_t x_stride, int m, float *y, size_t y_stride) {
    if (!poe_supports(type)) return -1;
    // Q8_0 keeps the AVX2 arithmetic (see the top of the file): gemma-3-270m's output matrix alone holds
    // 168 million Q8_0 values.
    if (type == POE_Q8_0) {
        return m == 1 ? poe_matmul_avx2(type, weights, row_bytes, row_begin, row_end, n, x, x_stride, m, y, y_stride)
                      : q8_0_pairs(weights, row_bytes, row_begin, row_end, n, x, x_stride, m, y, y_stride);
    }
    if (m == 1) {
        // One copy of the loop per type, so that each unpacks without a switch.
        switch (type) {
#define ROWS(T)                                                                                 \
    case T: {                                                                                   \
        int r = row_begin;                                                                      \
        for (; r + 1 < row_end; r += 2) rows_times_vector(T, weights, row_bytes, r, 1, n, x, y); \
        if (r < row_end) rows_times_vector(T, weights, row_bytes, r, 0, n, x, y);               \
        return 0;                                                                               \
    }
            ROWS(POE_F32) ROWS(POE_F16) ROWS(POE_BF16) ROWS(POE_Q4_0) ROWS(POE_Q4_1) ROWS(POE_Q5_0) ROWS(POE_Q5_1)
            ROWS(POE_Q4_K) ROWS(POE_Q5_K) ROWS(POE_Q6_K)
#undef ROWS
        }
        return -1;
    }
    const int padded = (n + 31) / 32 * 32;
    float *tile = malloc(sizeof(float) * TILE_ROWS * (size_t)padded);
    if (!tile) return -1;
    for (int r = row_begin; r < row_end; r += TILE_ROWS) {
        const int R = row_end - r < TILE_ROWS ? row_end - r : TILE_ROWS;
        for (int i = 0; i < R; i++) {
            float *out = tile + (size_t)i * padded;
            poe_dequantize_avx2(type, weights + (size_t)(r + i) * row_bytes, (size_t)n, out);
            for (int k = n; k < padded; k++) out[k] = 0;
        }
        int v = 0;
        // The same code in copies, so that the common shapes have their loops unrolled.
        for (; v + TILE_VECTORS <= m; v += TILE_VECTORS) {
            if (R == TILE_ROWS) tile_product(tile, padded, TILE_ROWS, x + (size_t)v * x_stride, x_stride, TILE_VECTORS, n, y + (size_t)v * y_stride + r, y_stride);
            else tile_product(tile, padded, R, x + (size_t)v * x_stride, x_stride, TILE_VECTORS, n, y + (size_t)v * y_stride + r, y_stride);
        }
        if (v < m) tile_product(tile, padded, R, x + (size_t)v * x_stride, x_stride, 1, n, y + (size_t)v * y_stride + r, y_stride);
    }
    free(tile);
    return 0;
}

#else  // not x86-64

int poe_cpu_has_avx512(void) { return 0; }
int poe_matmul_avx512(int type, const uint8_t *w, size_t rb, int r0, int r1, int n, const float *x, size_t xs, int m, float *y, size_t ys) {
    return poe_matmul_portable(type, w, rb, r0, r1, n, x, xs, m, y, ys);
}

#endif
