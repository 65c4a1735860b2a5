// One query's attention over consecutive cached positions, for decoding, where the prompt path's two
// matrix products per head would be mostly call overhead.
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
#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))

/// The same sixteen at a time (the tail masked), with the exp of `poe_exp16`.
TARGET static float exponentiate16(float *scores, int count, float maximum) {
    __m512 sum = _mm512_setzero_ps();
    const __m512 m = _mm512_set1_ps(maximum);
    for (int j = 0; j < count; j += 16) {
        const __mmask16 live = count - j >= 16 ? 0xFFFF : (__mmask16)((1u << (count - j)) - 1);
        const __m512 e = poe_exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(live, scores + j), m));
        _mm512_mask_storeu_ps(scores + j, live, e);
        sum = _mm512_add_ps(sum, _mm512_maskz_mov_ps(live, e));
    }
    return 1 / _mm512_reduce_add_ps(sum);
}
#endif

void poe_softmax(float *row, int begin, int end, int count) {
    float maximum = -INFINITY;
    for (int j = begin; j < end; j++) if (row[j] > maximum) maximum = row[j];
    float inverse;
#if defined(__x86_64__)
    if (poe_simd_level() >= 2) inverse = exponentiate16(row + begin, end - begin, maximum);
    else
#endif
    inverse = exponentiate(row + begin, end - begin, maximum);
    for (int j = 0; j < begin; j++) row[j] = 0;
    for (int j = begin; j < end; j++) row[j] *= inverse;
    for (int j = end; j < count; j++) row[j] = 0;
}

/// The portable version: scores, softmax, weighted sum of values, one at a time.
static void attend_portable(const float *q, int hd, const float *keys, size_t key_stride, const float *values, size_t value_stride,
                            int vd, int count, float scale, float *scores, float *out) {
    float maximum = -INFINITY;
    for (int j = 0; j < count; j++) {
        const float *k = keys + (size_t)j * key_stride;
        float dot = 0;
        for (int i = 0; i < hd; i++) dot += q[i] * k[i];
        scores[j] = scale * dot;
        if (scores[j] > maximum) maximum = scores[j];
    }
    const float inverse = exponentiate(scores, count, maximum);
    for (int i = 0; i < vd; i++) out[i] = 0;
    for (int j = 0; j < count; j++) {
        const float p = scores[j] * inverse, *v = values + (size_t)j * value_stride;
        for (int i = 0; i < vd; i++) out[i] += p * v[i];
    }
}

#if defined(__x86_64__)
/// The AVX-512 version, the same steps sixteen floats at a time (any head size: the tail is masked).
TARGET static void attend_avx512(const float *q, int hd, const float *keys, size_t key_stride, const float *values, size_t value_stride,
                                 int vd, int count, float scale, float *scores, float *out) {
    float maximum = -INFINITY;
    for (int j = 0; j < count; j++) {
        const float *k = keys + (size_t)j * key_stride;
        __m512 acc = _mm512_setzero_ps();
        for (int i = 0; i < hd; i += 16) {
            const __mmask16 live = hd - i >= 16 ? 0xFFFF : (__mmask16)((1u << (hd - i)) - 1);
            acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(live, q + i), _mm512_maskz_loadu_ps(live, k + i), acc);
        }
        scores[j] = scale * _mm512_reduce_add_ps(acc);
        if (scores[j] > maximum) maximum = scores[j];
    }
    const float inverse = exponentiate16(scores, count, maximum);
    for (int i = 0; i < vd; i += 16) {
        const __mmask16 live = vd - i >= 16 ? 0xFFFF : (__mmask16)((1u << (vd - i)) - 1);
        __m512 acc = _mm512_setzero_ps();
        for (int j = 0; j < count; j++) {
            acc = _mm512_fmadd_ps(_mm512_set1_ps(scores[j] * inverse), _mm512_maskz_loadu_ps(live, values + (size_t)j * value_stride + i), acc);
        }
        _mm512_mask_storeu_ps(out + i, live, acc);
    }
}
#endif

void poe_attend(const float *q, int hd, const float *keys, size_t key_stride, const float *values, size_t value_stride, int vd,
                int count, float scale, float *scores, float *out) {
#if defined(__x86_64__)
    if (poe_simd_level() >= 2) {
        attend_avx512(q, hd, keys, key_stride, values, value_stride, vd, count, scale, scores, out);
        return;
    }
#endif
    attend_portable(q, hd, keys, key_stride, values, value_stride, vd, count, scale, scores, out);
}
