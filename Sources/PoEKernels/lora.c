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

// Lanes [k, k + 8) of h for one row: four accumulators, one per input index mod 4, unrolled so they stay
// in registers; the matrix streams from memory, so the loads run ahead of the sums with a prefetch.
AVX2 static inline void down8_avx2(const float *xr, int inputs, int rank, int k, const void *down, int half, float *h) {
    __m256 p0 = _mm256_setzero_ps(), p1 = _mm256_setzero_ps(), p2 = _mm256_setzero_ps(), p3 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 4 <= inputs; i += 4) {
        _mm_prefetch((const char *)down + (size_t)(i + 64) * rank * (half ? 2 : 4), _MM_HINT_T0);
        p0 = _mm256_add_ps(p0, _mm256_mul_ps(_mm256_set1_ps(xr[i]), load8(down, (size_t)i * rank + k, half)));
        p1 = _mm256_add_ps(p1, _mm256_mul_ps(_mm256_set1_ps(xr[i + 1]), load8(down, (size_t)(i + 1) * rank + k, half)));
        p2 = _mm256_add_ps(p2, _mm256_mul_ps(_mm256_set1_ps(xr[i + 2]), load8(down, (size_t)(i + 2) * rank + k, half)));
        p3 = _mm256_add_ps(p3, _mm256_mul_ps(_mm256_set1_ps(xr[i + 3]), load8(down, (size_t)(i + 3) * rank + k, half)));
    }
    if (i < inputs) p0 = _mm256_add_ps(p0, _mm256_mul_ps(_mm256_set1_ps(xr[i]), load8(down, (size_t)i * rank + k, half)));
    if (i + 1 < inputs) p1 = _mm256_add_ps(p1, _mm256_mul_ps(_mm256_set1_ps(xr[i + 1]), load8(down, (size_t)(i + 1) * rank + k, half)));
    if (i + 2 < inputs) p2 = _mm256_add_ps(p2, _mm256_mul_ps(_mm256_set1_ps(xr[i + 2]), load8(down, (size_t)(i + 2) * rank + k, half)));
    _mm256_storeu_ps(h + k, _mm256_add_ps(_mm256_add_ps(p0, p1), _mm256_add_ps(p2, p3)));
}

// Lanes [k, rank) of h (fewer than 8), as the portable code does them.
static inline void down_tail(const float *xr, int inputs, int rank, int k, const void *down, int half, float *h) {
    for (; k < rank; k++) {
        float p[4] = {0, 0, 0, 0};
        for (int i = 0; i < inputs; i++) p[i & 3] += xr[i] * element(down, (size_t)i * rank + k, half);
        h[k] = (p[0] + p[1]) + (p[2] + p[3]);
    }
}

AVX2 static void down_avx2(int m, int inputs, int rank, const float *x, size_t x_stride, const void *down, int half, float *hidden) {
    for (int row = 0; row < m; row++) {
        const float *xr = x + (size_t)row * x_stride;
        float *h = hidden + (size_t)row * rank;
        int k = 0;
        for (; k + 8 <= rank; k += 8) down8_avx2(xr, inputs, rank, k, down, half, h);
        down_tail(xr, inputs, rank, k, down, half, h);
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
            for (int k = 0; k < rank; k++) {
                if ((o & 31) == 0) _mm_prefetch((const char *)up + ((size_t)k * outputs + o + 128) * (half ? 2 : 4), _MM_HINT_T0);
                sum = _mm256_add_ps(sum, _mm256_mul_ps(_mm256_set1_ps(scale * h[k]), load8(up, (size_t)k * outputs + o, half)));
            }
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
    const size_t element_bytes = half ? 2 : 4;
    for (int row = 0; row < m; row++) {
        const float *xr = x + (size_t)row * x_stride;
        float *h = hidden + (size_t)row * rank;
        int k = 0;
        for (; k + 16 <= rank; k += 16) {
            __m512 p0 = _mm512_setzero_ps(), p1 = _mm512_setzero_ps(), p2 = _mm512_setzero_ps(), p3 = _mm512_setzero_ps();
            const __mmask16 all = (__mmask16)0xFFFF;
            int i = 0;
            for (; i + 4 <= inputs; i += 4) {
                _mm_prefetch((const char *)down + (size_t)(i + 32) * rank * element_bytes, _MM_HINT_T0);
                p0 = _mm512_add_ps(p0, _mm512_mul_ps(_mm512_set1_ps(xr[i]), load16(down, (size_t)i * rank + k, half, all)));
                p1 = _mm512_add_ps(p1, _mm512_mul_ps(_mm512_set1_ps(xr[i + 1]), load16(down, (size_t)(i + 1) * rank + k, half, all)));
                p2 = _mm512_add_ps(p2, _mm512_mul_ps(_mm512_set1_ps(xr[i + 2]), load16(down, (size_t)(i + 2) * rank + k, half, all)));
                p3 = _mm512_add_ps(p3, _mm512_mul_ps(_mm512_set1_ps(xr[i + 3]), load16(down, (size_t)(i + 3) * rank + k, half, all)));
            }
            if (i < inputs) p0 = _mm512_add_ps(p0, _mm512_mul_ps(_mm512_set1_ps(xr[i]), load16(down, (size_t)i * rank + k, half, all)));
            if (i + 1 < inputs) p1 = _mm512_add_ps(p1, _mm512_mul_ps(_mm512_set1_ps(xr[i + 1]), load16(down, (size_t)(i + 1) * rank + k, half, all)));
            if (i + 2 < inputs) p2 = _mm512_add_ps(p2, _mm512_mul_ps(_mm512_set1_ps(xr[i + 2]), load16(down, (size_t)(i + 2) * rank + k, half, all)));
            _mm512_storeu_ps(h + k, _mm512_add_ps(_mm512_add_ps(p0, p1), _mm512_add_ps(p2, p3)));
        }
        // Fewer than 16 lanes left: eight at a time in 256-bit registers (the same sums), then one by one.
        for (; k + 8 <= rank; k += 8) down8_avx2(xr, inputs, rank, k, down, half, h);
        down_tail(xr, inputs, rank, k, down, half, h);
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
            for (int k = 0; k < rank; k++) {
                if ((o & 31) == 0) _mm_prefetch((const char *)up + ((size_t)k * outputs + o + 128) * (half ? 2 : 4), _MM_HINT_T0);
                sum = _mm512_add_ps(sum, _mm512_mul_ps(_mm512_set1_ps(scale * h[k]), load16(up, (size_t)k * outputs + o, half, live)));
            }
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
