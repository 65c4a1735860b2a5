// A LoRA adapter's term, added to a product already computed, for the few rows of a decode step:
//   h_row = x_row · down          (poe_lora_down: inputs -> rank)
//   y_row += scale · h_row · up   (poe_lora_up, for a range of outputs, so the product's threads each add
//                                  the term to the outputs they computed)
// with down (inputs, rank) and up (rank, outputs) row-major (A and B transposed), stored as float32 or as
// IEEE halves (an F16 adapter is kept as it is stored: exact, and half the bytes to stream each step).
//
// Every version adds in one order without contraction: h[k] is the sum of four partial sums, over the
// inputs i with i mod 4 = 0, 1, 2, 3 (each ascending), added as (p0 + p1) + (p2 + p3); y[o] adds
// s_k · up[k][o] over k ascending (s_k = scale · h[k]). The vector versions run the first sum across k and
// the second across o, so the portable, AVX2 and AVX-512 versions give the same bits, and each row's
// result does not depend on how many rows are passed. Prompts go through OpenBLAS instead.
#pragma STDC FP_CONTRACT OFF
#include "PoEKernels.h"
#include "blocks.h"

static inline float element(const void *base, size_t index, int half) {
    return half ? poe_half((const uint8_t *)base + 2 * index) : ((const float *)base)[index];
}

static void down_portable(int m, int inputs, int rank, const float *x, size_t x_stride, const void *down, int half, float *hidden) {
    for (int row = 0; row < m; row++) {
        const float *xr = x + (size_t)row * x_stride;
        for (int k = 0; k < rank; k++) {
            float p[4] = {0, 0, 0, 0};
            for (int i = 0; i < inputs; i++) p[i & 3] += xr[i] * element(down, (size_t)i * rank + k, half);
            hidden[(size_t)row * rank + k] = (p[0] + p[1]) + (p[2] + p[3]);
        }
    }
}

static void up_portable(int m, int rank, int begin, int end, int outputs, const void *up, int half, float scale, const float *hidden,
                        float *y, size_t y_stride) {
    for (int row = 0; row < m; row++) {
        const float *h = hidden + (size_t)row * rank;
        float *yr = y + (size_t)row * y_stride;
        for (int o = begin; o < end; o++) {
            float sum = yr[o];
            for (int k = 0; k < rank; k++) sum += (scale * h[k]) * element(up, (size_t)k * outputs + o, half);
            yr[o] = sum;
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

// Level 2 (poe_cpu_has_avx512) includes BW and VL, for masked loads of halves.
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,f16c")))
#define AVX2 __attribute__((target("avx2,f16c")))

AVX2 static inline __m256 load8(const void *base, size_t index, int half) {
    return half ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)base + index)))
                : _mm256_loadu_ps((const float *)base + index);
}

AVX2 static void down_avx2(int m, int inputs, int rank, const float *x, size_t x_stride, const void *down, int half, float *hidden) {
    const int full = rank / 8 * 8;
    for (int row = 0; row < m; row++) {
        const float *xr = x + (size_t)row * x_stride;
        float *h = hidden + (size_t)row * rank;
        for (int k = 0; k < full; k += 8) {
            __m256 p[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
            for (int i = 0; i < inputs; i++)
                p[i & 3] = _mm256_add_ps(p[i & 3], _mm256_mul_ps(_mm256_set1_ps(xr[i]), load8(down, (size_t)i * rank + k, half)));
            _mm256_storeu_ps(h + k, _mm256_add_ps(_mm256_add_ps(p[0], p[1]), _mm256_add_ps(p[2], p[3])));
        }
        if (full < rank) {
            // The last rank columns (fewer than 8), as the portable code does them.
            for (int k = full; k < rank; k++) {
                float p[4] = {0, 0, 0, 0};
                for (int i = 0; i < inputs; i++) p[i & 3] += xr[i] * element(down, (size_t)i * rank + k, half);
                h[k] = (p[0] + p[1]) + (p[2] + p[3]);
            }
        }
    }
}

AVX2 static void up_avx2(int m, int rank, int begin, int end, int outputs, const void *up, int half, float scale, const float *hidden,
                         float *y, size_t y_stride) {
    for (int row = 0; row < m; row++) {
        const float *h = hidden + (size_t)row * rank;
        float *yr = y + (size_t)row * y_stride;
        int o = begin;
        for (; o + 8 <= end; o += 8) {
            __m256 sum = _mm256_loadu_ps(yr + o);
            for (int k = 0; k < rank; k++)
                sum = _mm256_add_ps(sum, _mm256_mul_ps(_mm256_set1_ps(scale * h[k]), load8(up, (size_t)k * outputs + o, half)));
            _mm256_storeu_ps(yr + o, sum);
        }
        up_portable(1, rank, o, end, outputs, up, half, scale, h, yr, 0);
    }
}

AVX512 static inline __mmask16 live16(int count) { return count >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << count) - 1); }

// The first `count` (1-16) values from `index`, zero beyond.
AVX512 static inline __m512 load16(const void *base, size_t index, int half, __mmask16 live) {
    return half ? _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(live, (const uint16_t *)base + index))
                : _mm512_maskz_loadu_ps(live, (const float *)base + index);
}

AVX512 static void down_avx512(int m, int inputs, int rank, const float *x, size_t x_stride, const void *down, int half, float *hidden) {
    for (int row = 0; row < m; row++) {
        const float *xr = x + (size_t)row * x_stride;
        float *h = hidden + (size_t)row * rank;
        for (int k = 0; k < rank; k += 16) {
            const __mmask16 live = live16(rank - k);
            __m512 p[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
            for (int i = 0; i < inputs; i++)
                p[i & 3] = _mm512_add_ps(p[i & 3], _mm512_mul_ps(_mm512_set1_ps(xr[i]), load16(down, (size_t)i * rank + k, half, live)));
            _mm512_mask_storeu_ps(h + k, live, _mm512_add_ps(_mm512_add_ps(p[0], p[1]), _mm512_add_ps(p[2], p[3])));
        }
    }
}

AVX512 static void up_avx512(int m, int rank, int begin, int end, int outputs, const void *up, int half, float scale, const float *hidden,
                             float *y, size_t y_stride) {
    for (int row = 0; row < m; row++) {
        const float *h = hidden + (size_t)row * rank;
        float *yr = y + (size_t)row * y_stride;
        for (int o = begin; o < end; o += 16) {
            const __mmask16 live = live16(end - o);
            __m512 sum = _mm512_maskz_loadu_ps(live, yr + o);
            for (int k = 0; k < rank; k++)
                sum = _mm512_add_ps(sum, _mm512_mul_ps(_mm512_set1_ps(scale * h[k]), load16(up, (size_t)k * outputs + o, half, live)));
            _mm512_mask_storeu_ps(yr + o, live, sum);
        }
    }
}
#endif

void poe_lora_down_using(int implementation, int m, int inputs, int rank, const float *x, size_t x_stride, const void *down, int type,
                         float *hidden) {
    const int half = type == POE_F16;
#if defined(__x86_64__)
    if (implementation >= 2 && poe_simd_level() >= 2) {
        down_avx512(m, inputs, rank, x, x_stride, down, half, hidden);
        return;
    }
    if (implementation >= 1 && poe_simd_level() >= 1) {
        down_avx2(m, inputs, rank, x, x_stride, down, half, hidden);
        return;
    }
#endif
    down_portable(m, inputs, rank, x, x_stride, down, half, hidden);
}

void poe_lora_up_using(int implementation, int m, int rank, int begin, int end, int outputs, const void *up, int type, float scale,
                       const float *hidden, float *y, size_t y_stride) {
    const int half = type == POE_F16;
#if defined(__x86_64__)
    if (implementation >= 2 && poe_simd_level() >= 2) {
        up_avx512(m, rank, begin, end, outputs, up, half, scale, hidden, y, y_stride);
        return;
    }
    if (implementation >= 1 && poe_simd_level() >= 1) {
        up_avx2(m, rank, begin, end, outputs, up, half, scale, hidden, y, y_stride);
        return;
    }
#endif
    up_portable(m, rank, begin, end, outputs, up, half, scale, hidden, y, y_stride);
}

void poe_lora_down(int m, int inputs, int rank, const float *x, size_t x_stride, const void *down, int type, float *hidden) {
    poe_lora_down_using(poe_simd_level(), m, inputs, rank, x, x_stride, down, type, hidden);
}

void poe_lora_up(int m, int rank, int begin, int end, int outputs, const void *up, int type, float scale, const float *hidden, float *y,
                 size_t y_stride) {
    poe_lora_up_using(poe_simd_level(), m, rank, begin, end, outputs, up, type, scale, hidden, y, y_stride);
}
