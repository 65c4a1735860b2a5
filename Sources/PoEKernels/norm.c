// RMS normalization, out = x / √(mean(x²) + ε) · weight, row by row.
//
// Each square is taken in float and summed in double, as llama.cpp sums; sixteen partial sums (lane
// i mod 16) break the chain of dependent additions, and they are combined in a fixed tree, so the
// portable, AVX2 and AVX-512 code give the same bits.
#pragma STDC FP_CONTRACT OFF
#include "PoEKernels.h"
#include <math.h>

enum { LANES = 16 };

/// Adds the halves of `s` (length 2·half) into its first half, down to one value.
static double combine(double *s) {
    for (int half = LANES / 2; half >= 1; half /= 2)
        for (int i = 0; i < half; i++) s[i] += s[i + half];
    return s[0];
}

static void scale_row(const float *x, const float *weight, int n, double sum, float epsilon, float *out) {
    const float scale = 1 / sqrtf((float)(sum / n) + epsilon);
    for (int i = 0; i < n; i++) out[i] = x[i] * scale * weight[i];
}

static double sum_of_squares_portable(const float *x, int n) {
    double s[LANES] = {0};
    int i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int l = 0; l < LANES; l++) s[l] += (double)(x[i + l] * x[i + l]);
    for (int l = 0; i < n; i++, l++) s[l] += (double)(x[i] * x[i]);
    return combine(s);
}

#if defined(__x86_64__)
#include <immintrin.h>
#define TARGET __attribute__((target("avx512f,avx512dq")))

TARGET static double sum_of_squares_avx512(const float *x, int n) {
    __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
    int i = 0;
    for (; i + LANES <= n; i += LANES) {
        const __m512 v = _mm512_loadu_ps(x + i), squares = _mm512_mul_ps(v, v);
        lo = _mm512_add_pd(lo, _mm512_cvtps_pd(_mm512_castps512_ps256(squares)));
        hi = _mm512_add_pd(hi, _mm512_cvtps_pd(_mm512_extractf32x8_ps(squares, 1)));
    }
    double s[LANES];
    _mm512_storeu_pd(s, lo);
    _mm512_storeu_pd(s + 8, hi);
    for (int l = 0; i < n; i++, l++) s[l] += (double)(x[i] * x[i]);
    return combine(s);
}

/// The same sums for AVX2: four vectors of four doubles hold the sixteen lanes.
__attribute__((target("avx2"))) static double sum_of_squares_avx2(const float *x, int n) {
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd(), s2 = _mm256_setzero_pd(), s3 = _mm256_setzero_pd();
    int i = 0;
    for (; i + LANES <= n; i += LANES) {
        const __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
        const __m256 sa = _mm256_mul_ps(a, a), sb = _mm256_mul_ps(b, b);
        s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(sa)));
        s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(sa, 1)));
        s2 = _mm256_add_pd(s2, _mm256_cvtps_pd(_mm256_castps256_ps128(sb)));
        s3 = _mm256_add_pd(s3, _mm256_cvtps_pd(_mm256_extractf128_ps(sb, 1)));
    }
    double s[LANES];
    _mm256_storeu_pd(s, s0);
    _mm256_storeu_pd(s + 4, s1);
    _mm256_storeu_pd(s + 8, s2);
    _mm256_storeu_pd(s + 12, s3);
    for (int l = 0; i < n; i++, l++) s[l] += (double)(x[i] * x[i]);
    return combine(s);
}
#endif

void poe_rms_norm_using(int implementation, const float *x, const float *weight, int n, int rows, float epsilon, float *out) {
    for (int r = 0; r < rows; r++) {
        const float *row = x + (size_t)r * n;
#if defined(__x86_64__)
        const double sum = implementation >= 2 && poe_simd_level() >= 2 ? sum_of_squares_avx512(row, n)
            : implementation >= 1 && poe_simd_level() >= 1 ? sum_of_squares_avx2(row, n)
            : sum_of_squares_portable(row, n);
#else
        const double sum = sum_of_squares_portable(row, n);
#endif
        scale_row(row, weight, n, sum, epsilon, out + (size_t)r * n);
    }
}

void poe_rms_norm(const float *x, const float *weight, int n, int rows, float epsilon, float *out) {
    poe_rms_norm_using(poe_simd_level(), x, weight, n, rows, epsilon, out);
}
