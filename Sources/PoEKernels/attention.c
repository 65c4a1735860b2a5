// One query's attention over consecutive cached positions, for decoding, where the prompt path's two
// matrix products per head would be mostly call overhead. The query heads that share a key/value head
// (grouped-query attention) go together, so each cached row is read once for all of them.
#pragma STDC FP_CONTRACT OFF
#include "PoEKernels.h"
#include "blocks.h"
#include <math.h>

/// exp(s_j − max s) in place; returns 1 / Σ of them.
static float exponentiate(float *scores, int count, float maximum) {
    float sum = 0;
    for (int j = 0; j < count; j++) {
        scores[j] = expf(scores[j] - maximum);
        sum += scores[j];
    }
    return 1 / sum;
}

#if defined(__x86_64__)
#include <immintrin.h>
#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")))

/// The same sixteen at a time (the tail masked), with the exp of `poe_exp16`.
TARGET static float exponentiate16(float *scores, int count, float maximum) {
    __m512 sum = _mm512_setzero_ps();
    const __m512 m = _mm512_set1_ps(maximum);
    for (int j = 0; j < count; j += 16) {
        const __mmask16 live = poe_live16(count - j);
        const __m512 e = poe_exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(live, scores + j), m));
        _mm512_mask_storeu_ps(scores + j, live, e);
        sum = _mm512_add_ps(sum, _mm512_maskz_mov_ps(live, e));
    }
    return 1 / _mm512_reduce_add_ps(sum);
}

/// The same eight at a time, for AVX2 machines (the tail masked).
__attribute__((target("avx2,fma"))) static float exponentiate8(float *scores, int count, float maximum) {
    __m256 sum = _mm256_setzero_ps();
    const __m256 m = _mm256_set1_ps(maximum);
    for (int j = 0; j < count; j += 8) {
        const __m256i live = poe_live8(count - j);
        const __m256 e = _mm256_and_ps(poe_exp8(_mm256_sub_ps(_mm256_maskload_ps(scores + j, live), m)), _mm256_castsi256_ps(live));
        _mm256_maskstore_ps(scores + j, live, e);
        sum = _mm256_add_ps(sum, e);
    }
    return 1 / poe_hsum8(sum);
}
#endif

void poe_softmax(float *row, int begin, int end, int count) {
    poe_softmax_using(poe_simd_level(), row, begin, end, count);
}

void poe_softmax_using(int implementation, float *row, int begin, int end, int count) {
    float maximum = -INFINITY;
    for (int j = begin; j < end; j++) if (row[j] > maximum) maximum = row[j];
    float inverse;
#if defined(__x86_64__)
    if (implementation >= 2 && poe_simd_level() >= 2) inverse = exponentiate16(row + begin, end - begin, maximum);
    else if (implementation >= 1 && poe_simd_level() >= 1) inverse = exponentiate8(row + begin, end - begin, maximum);
    else
#endif
    inverse = exponentiate(row + begin, end - begin, maximum);
    for (int j = 0; j < begin; j++) row[j] = 0;
    for (int j = begin; j < end; j++) row[j] *= inverse;
    for (int j = end; j < count; j++) row[j] = 0;
}

/// s_j = cap · tanh(s_j / cap) for the `count` scores; returns their new maximum.
static float cap_scores(float *scores, int count, float cap) {
    float maximum = -INFINITY;
    for (int j = 0; j < count; j++) {
        scores[j] = cap * tanhf(scores[j] / cap);
        if (scores[j] > maximum) maximum = scores[j];
    }
    return maximum;
}

/// Element i of a cached row: a float, or (`half`) an IEEE half widened exactly.
static inline float cached(const void *row, int i, int half) {
    return half ? poe_half((const uint8_t *)row + 2 * (size_t)i) : ((const float *)row)[i];
}

/// Row j of a cache whose rows are `stride` elements of 4 (float) or 2 (`half`) bytes.
static inline const void *cached_row(const void *base, size_t j, size_t stride, int half) {
    return (const uint8_t *)base + j * stride * (half ? 2 : 4);
}

/// The portable version, one head at a time: scores, softmax, weighted sum of values.
static void attend_portable(const float *q, int heads, int hd, const void *keys, size_t key_stride, const void *values,
                            size_t value_stride, int vd, int count, float scale, float softcap, float *scores, float *out, int half) {
    for (int g = 0; g < heads; g++, q += hd, out += vd, scores += count) {
        float maximum = -INFINITY;
        for (int j = 0; j < count; j++) {
            const void *k = cached_row(keys, (size_t)j, key_stride, half);
            float dot = 0;
            for (int i = 0; i < hd; i++) dot += q[i] * cached(k, i, half);
            scores[j] = scale * dot;
            if (scores[j] > maximum) maximum = scores[j];
        }
        if (softcap > 0) maximum = cap_scores(scores, count, softcap);
        const float inverse = exponentiate(scores, count, maximum);
        for (int i = 0; i < vd; i++) out[i] = 0;
        for (int j = 0; j < count; j++) {
            const float p = scores[j] * inverse;
            const void *v = cached_row(values, (size_t)j, value_stride, half);
            for (int i = 0; i < vd; i++) out[i] += p * cached(v, i, half);
        }
    }
}

#if defined(__x86_64__)
enum { GROUP = 4, SLICES = 4, AHEAD = 8 };  // query heads per pass over the keys; value slices of 16 per pass;
                                            // cached rows prefetched ahead

/// The AVX-512 version for up to GROUP heads that share keys and values: each key and value row is read
/// once for all of them, two keys at a time. Each head's arithmetic is the same as alone: lane-wise
/// products over its head vector then a reduction per score; values summed position by position.
/// Sixteen elements of a cached row from element i (lanes past `live` zero), widened from halves if `half`.
TARGET __attribute__((always_inline)) static inline __m512 load16(const void *row, int i, __mmask16 live, int half) {
    if (half) return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(live, (const uint16_t *)row + i));
    return _mm512_maskz_loadu_ps(live, (const float *)row + i);
}

TARGET __attribute__((always_inline)) static inline void attend_group_avx512(const float *q, int heads, int hd, const void *keys, size_t key_stride, const void *values,
                                       size_t value_stride, int vd, int count, float scale, float softcap, float *scores, float *out, int half) {
    const int size = half ? 2 : 4;  // bytes per cached element
    float maximum[GROUP], inverse[GROUP];
    for (int g = 0; g < heads; g++) maximum[g] = -INFINITY;
    int j = 0;
    for (; j + 2 <= count; j += 2) {
        const char *k0 = cached_row(keys, (size_t)j, key_stride, half), *k1 = k0 + key_stride * size;
        __m512 acc0[GROUP], acc1[GROUP];
        for (int g = 0; g < heads; g++) acc0[g] = acc1[g] = _mm512_setzero_ps();
        for (int i = 0; i < hd; i += 16) {
            // The cache is rarely in cache (a decode step streams every weight between two reads of it):
            // ask for the keys a few pairs ahead.
            _mm_prefetch(k0 + (AHEAD * key_stride + i) * size, _MM_HINT_T0);
            _mm_prefetch(k1 + (AHEAD * key_stride + i) * size, _MM_HINT_T0);
            const __mmask16 live = poe_live16(hd - i);
            const __m512 a = load16(k0, i, live, half), b = load16(k1, i, live, half);
            for (int g = 0; g < heads; g++) {
                const __m512 qg = _mm512_maskz_loadu_ps(live, q + (size_t)g * hd + i);
                acc0[g] = _mm512_fmadd_ps(qg, a, acc0[g]);
                acc1[g] = _mm512_fmadd_ps(qg, b, acc1[g]);
            }
        }
        for (int g = 0; g < heads; g++) {
            float *sg = scores + (size_t)g * count;
            sg[j] = scale * _mm512_reduce_add_ps(acc0[g]);
            sg[j + 1] = scale * _mm512_reduce_add_ps(acc1[g]);
            if (sg[j] > maximum[g]) maximum[g] = sg[j];
            if (sg[j + 1] > maximum[g]) maximum[g] = sg[j + 1];
        }
    }
    for (; j < count; j++) {
        const void *k = cached_row(keys, (size_t)j, key_stride, half);
        __m512 acc[GROUP];
        for (int g = 0; g < heads; g++) acc[g] = _mm512_setzero_ps();
        for (int i = 0; i < hd; i += 16) {
            const __mmask16 live = poe_live16(hd - i);
            const __m512 a = load16(k, i, live, half);
            for (int g = 0; g < heads; g++) acc[g] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(live, q + (size_t)g * hd + i), a, acc[g]);
        }
        for (int g = 0; g < heads; g++) {
            float *sg = scores + (size_t)g * count;
            sg[j] = scale * _mm512_reduce_add_ps(acc[g]);
            if (sg[j] > maximum[g]) maximum[g] = sg[j];
        }
    }
    if (softcap > 0)
        for (int g = 0; g < heads; g++) maximum[g] = cap_scores(scores + (size_t)g * count, count, softcap);
    for (int g = 0; g < heads; g++) inverse[g] = exponentiate16(scores + (size_t)g * count, count, maximum[g]);
    for (int i0 = 0; i0 < vd; i0 += 16 * SLICES) {
        // Always SLICES slices (those past vd masked off), so that the accumulators stay in registers.
        __m512 acc[GROUP][SLICES];
        for (int g = 0; g < heads; g++)
            for (int c = 0; c < SLICES; c++) acc[g][c] = _mm512_setzero_ps();
        for (int jj = 0; jj < count; jj++) {
            const char *v = cached_row(values, (size_t)jj, value_stride, half);
            for (int c = 0; c < SLICES; c++) _mm_prefetch(v + (AHEAD * value_stride + i0 + 16 * c) * size, _MM_HINT_T0);
            __m512 row[SLICES];
            for (int c = 0; c < SLICES; c++) row[c] = load16(v, i0 + 16 * c, poe_live16(vd - i0 - 16 * c), half);
            for (int g = 0; g < heads; g++) {
                const __m512 p = _mm512_set1_ps(scores[(size_t)g * count + jj] * inverse[g]);
                for (int c = 0; c < SLICES; c++) acc[g][c] = _mm512_fmadd_ps(p, row[c], acc[g][c]);
            }
        }
        for (int g = 0; g < heads; g++)
            for (int c = 0; c < SLICES; c++) _mm512_mask_storeu_ps(out + (size_t)g * vd + i0 + 16 * c, poe_live16(vd - i0 - 16 * c), acc[g][c]);
    }
}

/// Query heads in groups of GROUP, one copy of the group's code per size (and cache type), so that its
/// loops over heads unroll and the accumulators stay in registers.
TARGET __attribute__((always_inline)) static inline void attend_heads_avx512(const float *q, int heads, int hd, const void *keys, size_t key_stride, const void *values,
                                 size_t value_stride, int vd, int count, float scale, float softcap, float *scores, float *out, int half) {
    for (int g = 0; g < heads; g += GROUP) {
        const float *qg = q + (size_t)g * hd;
        float *sg = scores + (size_t)g * count, *og = out + (size_t)g * vd;
        switch (heads - g) {
        case 1: attend_group_avx512(qg, 1, hd, keys, key_stride, values, value_stride, vd, count, scale, softcap, sg, og, half); break;
        case 2: attend_group_avx512(qg, 2, hd, keys, key_stride, values, value_stride, vd, count, scale, softcap, sg, og, half); break;
        case 3: attend_group_avx512(qg, 3, hd, keys, key_stride, values, value_stride, vd, count, scale, softcap, sg, og, half); break;
        default: attend_group_avx512(qg, GROUP, hd, keys, key_stride, values, value_stride, vd, count, scale, softcap, sg, og, half); break;
        }
    }
}

/// Eight elements of a cached row from element i (lanes past `live` zero), widened from halves if `half`.
__attribute__((target("avx2,fma,f16c"), always_inline)) static inline __m256 load8(const void *row, int i, int remaining, int half) {
    if (!half) return _mm256_maskload_ps((const float *)row + i, poe_live8(remaining));
    const uint16_t *h = (const uint16_t *)row + i;
    if (remaining >= 8) return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)h));
    uint16_t tail[8] = {0};  // AVX2 has no 16-bit masked load: the last few halves through a zeroed copy
    for (int k = 0; k < remaining; k++) tail[k] = h[k];
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)tail));
}

/// The AVX2 version of `attend_group_avx512`: the same passes, eight lanes wide.
__attribute__((target("avx2,fma,f16c"), always_inline)) static inline void attend_group_avx2(const float *q, int heads, int hd, const void *keys, size_t key_stride,
                                     const void *values, size_t value_stride, int vd, int count, float scale, float softcap,
                                     float *scores, float *out, int half) {
    const int size = half ? 2 : 4;  // bytes per cached element
    float maximum[GROUP], inverse[GROUP];
    for (int g = 0; g < heads; g++) maximum[g] = -INFINITY;
    for (int j = 0; j < count; j++) {
        const char *k = cached_row(keys, (size_t)j, key_stride, half);
        __m256 acc[GROUP];
        for (int g = 0; g < heads; g++) acc[g] = _mm256_setzero_ps();
        for (int i = 0; i < hd; i += 8) {
            _mm_prefetch(k + (AHEAD * key_stride + i) * size, _MM_HINT_T0);
            const __m256i live = poe_live8(hd - i);
            const __m256 a = load8(k, i, hd - i, half);
            for (int g = 0; g < heads; g++) acc[g] = _mm256_fmadd_ps(_mm256_maskload_ps(q + (size_t)g * hd + i, live), a, acc[g]);
        }
        for (int g = 0; g < heads; g++) {
            float *sg = scores + (size_t)g * count;
            sg[j] = scale * poe_hsum8(acc[g]);
            if (sg[j] > maximum[g]) maximum[g] = sg[j];
        }
    }
    if (softcap > 0)
        for (int g = 0; g < heads; g++) maximum[g] = cap_scores(scores + (size_t)g * count, count, softcap);
    for (int g = 0; g < heads; g++) inverse[g] = exponentiate8(scores + (size_t)g * count, count, maximum[g]);
    for (int i0 = 0; i0 < vd; i0 += 8 * SLICES) {
        __m256 acc[GROUP][SLICES];
        for (int g = 0; g < heads; g++)
            for (int c = 0; c < SLICES; c++) acc[g][c] = _mm256_setzero_ps();
        for (int jj = 0; jj < count; jj++) {
            const char *v = cached_row(values, (size_t)jj, value_stride, half);
            _mm_prefetch(v + (AHEAD * value_stride + i0) * size, _MM_HINT_T0);
            __m256 row[SLICES];
            for (int c = 0; c < SLICES; c++) row[c] = load8(v, i0 + 8 * c, vd - i0 - 8 * c, half);
            for (int g = 0; g < heads; g++) {
                const __m256 p = _mm256_set1_ps(scores[(size_t)g * count + jj] * inverse[g]);
                for (int c = 0; c < SLICES; c++) acc[g][c] = _mm256_fmadd_ps(p, row[c], acc[g][c]);
            }
        }
        for (int g = 0; g < heads; g++)
            for (int c = 0; c < SLICES; c++) _mm256_maskstore_ps(out + (size_t)g * vd + i0 + 8 * c, poe_live8(vd - i0 - 8 * c), acc[g][c]);
    }
}

__attribute__((target("avx2,fma,f16c"), always_inline)) static inline void attend_heads_avx2(const float *q, int heads, int hd, const void *keys, size_t key_stride, const void *values,
                                                     size_t value_stride, int vd, int count, float scale, float softcap, float *scores, float *out, int half) {
    for (int g = 0; g < heads; g += GROUP) {
        const float *qg = q + (size_t)g * hd;
        float *sg = scores + (size_t)g * count, *og = out + (size_t)g * vd;
        switch (heads - g) {
        case 1: attend_group_avx2(qg, 1, hd, keys, key_stride, values, value_stride, vd, count, scale, softcap, sg, og, half); break;
        case 2: attend_group_avx2(qg, 2, hd, keys, key_stride, values, value_stride, vd, count, scale, softcap, sg, og, half); break;
        case 3: attend_group_avx2(qg, 3, hd, keys, key_stride, values, value_stride, vd, count, scale, softcap, sg, og, half); break;
        default: attend_group_avx2(qg, GROUP, hd, keys, key_stride, values, value_stride, vd, count, scale, softcap, sg, og, half); break;
        }
    }
}

/// The two functions above for a float cache and for halves, each compiled with `half` a constant.
TARGET static void attend_avx512(const float *q, int heads, int hd, const void *keys, size_t key_stride, const void *values,
                                 size_t value_stride, int vd, int count, float scale, float softcap, float *scores, float *out, int half) {
    if (half) attend_heads_avx512(q, heads, hd, keys, key_stride, values, value_stride, vd, count, scale, softcap, scores, out, 1);
    else attend_heads_avx512(q, heads, hd, keys, key_stride, values, value_stride, vd, count, scale, softcap, scores, out, 0);
}

__attribute__((target("avx2,fma,f16c"))) static void attend_avx2(const float *q, int heads, int hd, const void *keys, size_t key_stride,
                                                          const void *values, size_t value_stride, int vd, int count, float scale,
                                                          float softcap, float *scores, float *out, int half) {
    if (half) attend_heads_avx2(q, heads, hd, keys, key_stride, values, value_stride, vd, count, scale, softcap, scores, out, 1);
    else attend_heads_avx2(q, heads, hd, keys, key_stride, values, value_stride, vd, count, scale, softcap, scores, out, 0);
}
#endif

/// Either cache type, in a chosen implementation.
static void attend_using(int implementation, const float *q, int heads, int hd, const void *keys, size_t key_stride,
                         const void *values, size_t value_stride, int vd, int count, float scale, float softcap, float *scores, float *out,
                         int half) {
#if defined(__x86_64__)
    if (implementation >= 2 && poe_simd_level() >= 2) {
        attend_avx512(q, heads, hd, keys, key_stride, values, value_stride, vd, count, scale, softcap, scores, out, half);
        return;
    }
    if (implementation >= 1 && poe_simd_level() >= 1) {
        attend_avx2(q, heads, hd, keys, key_stride, values, value_stride, vd, count, scale, softcap, scores, out, half);
        return;
    }
#endif
    attend_portable(q, heads, hd, keys, key_stride, values, value_stride, vd, count, scale, softcap, scores, out, half);
}

void poe_attend_using(int implementation, const float *q, int heads, int hd, const float *keys, size_t key_stride,
                      const float *values, size_t value_stride, int vd, int count, float scale, float softcap, float *scores, float *out) {
    attend_using(implementation, q, heads, hd, keys, key_stride, values, value_stride, vd, count, scale, softcap, scores, out, 0);
}

void poe_attend(const float *q, int heads, int hd, const float *keys, size_t key_stride, const float *values, size_t value_stride,
                int vd, int count, float scale, float softcap, float *scores, float *out) {
    attend_using(poe_simd_level(), q, heads, hd, keys, key_stride, values, value_stride, vd, count, scale, softcap, scores, out, 0);
}

void poe_attend_f16_using(int implementation, const float *q, int heads, int hd, const uint16_t *keys, size_t key_stride,
                          const uint16_t *values, size_t value_stride, int vd, int count, float scale, float softcap, float *scores,
                          float *out) {
    attend_using(implementation, q, heads, hd, keys, key_stride, values, value_stride, vd, count, scale, softcap, scores, out, 1);
}

void poe_attend_f16(const float *q, int heads, int hd, const uint16_t *keys, size_t key_stride, const uint16_t *values,
                    size_t value_stride, int vd, int count, float scale, float softcap, float *scores, float *out) {
    attend_using(poe_simd_level(), q, heads, hd, keys, key_stride, values, value_stride, vd, count, scale, softcap, scores, out, 1);
}
