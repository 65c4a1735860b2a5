// Chooses the widest implementation the CPU runs: AVX-512 products (with AVX2 dequantization), AVX2, or
// the portable code; the environment variable POE_SIMD_LEVEL (0, 1 or 2, or portable, avx2 or avx512)
// caps it, so that one machine can run, test and measure every level it has.
#include "PoEKernels.h"
#include "blocks.h"
#include <stdlib.h>
#include <string.h>

// Written once, before any kernel runs, by whichever thread asks first; every thread computes the same
// value, so a race between first callers stores the same int.
static int level = -1;

/// POE_SIMD_LEVEL as a level, or 2 (no cap) when unset or not one of the names.
static int requested_level(void) {
    const char *value = getenv("POE_SIMD_LEVEL");
    if (!value) return 2;
    if (!strcmp(value, "0") || !strcmp(value, "portable")) return 0;
    if (!strcmp(value, "1") || !strcmp(value, "avx2")) return 1;
    return 2;
}

int poe_simd_level(void) {
    if (level < 0) {
        const int cpu = poe_cpu_has_avx512() ? 2 : poe_cpu_has_avx2() ? 1 : 0, cap = requested_level();
        level = cpu < cap ? cpu : cap;
    }
    return level;
}

int poe_supports(int type) {
    int values, bytes;
    poe_layout(type, &values, &bytes);
    return values != 0;
}

int poe_dequantize_using(int implementation, int type, const void *source, size_t count, float *values) {
    switch (implementation) {
    case 0: return poe_dequantize_portable(type, source, count, values);
    case 1:
    case 2: return poe_simd_level() >= implementation ? poe_dequantize_avx2(type, source, count, values) : -1;
    default: return -1;
    }
}

int poe_matmul_using(int implementation, int type, const void *weights, size_t row_bytes, int row_begin,
                     int row_end, int n, const float *x, size_t x_stride, int m, float *y, size_t y_stride) {
    switch (implementation) {
    case 0: return poe_matmul_portable(type, weights, row_bytes, row_begin, row_end, n, x, x_stride, m, y, y_stride);
    case 1:
        return poe_simd_level() >= 1 ? poe_matmul_avx2(type, weights, row_bytes, row_begin, row_end, n, x, x_stride, m, y, y_stride) : -1;
    case 2:
        return poe_simd_level() >= 2 ? poe_matmul_avx512(type, weights, row_bytes, row_begin, row_end, n, x, x_stride, m, y, y_stride) : -1;
    default: return -1;
    }
}

int poe_dequantize(int type, const void *source, size_t count, float *values) {
    return poe_dequantize_using(poe_simd_level(), type, source, count, values);
}

int poe_matmul(int type, const void *weights, size_t row_bytes, int row_begin, int row_end, int n,
               const float *x, size_t x_stride, int m, float *y, size_t y_stride) {
    return poe_matmul_using(poe_simd_level(), type, weights, row_bytes, row_begin, row_end, n, x, x_stride, m, y, y_stride);
}

int poe_matmul_q8_using(int implementation, int type, const void *weights, size_t row_bytes, int row_begin, int row_end,
                        int n, const poe_q8_block *x, int m, float *y, size_t y_stride) {
    switch (implementation) {
    case 0: return poe_matmul_q8_portable(type, weights, row_bytes, row_begin, row_end, n, x, m, y, y_stride);
    // AVX-512 runs the AVX2 integer code: the same bits, and the products here are bound by reading weights.
    case 1:
    case 2:
        return poe_simd_level() >= implementation ? poe_matmul_q8_avx2(type, weights, row_bytes, row_begin, row_end, n, x, m, y, y_stride) : -1;
    default: return -1;
    }
}

int poe_matmul_q8(int type, const void *weights, size_t row_bytes, int row_begin, int row_end, int n,
                  const poe_q8_block *x, int m, float *y, size_t y_stride) {
    return poe_matmul_q8_using(poe_simd_level(), type, weights, row_bytes, row_begin, row_end, n, x, m, y, y_stride);
}

/// One float as a half, rounded to nearest with ties to even.
static uint16_t half_from_float(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    const uint32_t sign = (x >> 16) & 0x8000, exponent = (x >> 23) & 0xFF, mantissa = x & 0x7FFFFF;
    if (exponent == 0xFF) return (uint16_t)(sign | 0x7C00 | (mantissa ? 0x200 | (mantissa >> 13) : 0));  // inf, NaN (quiet)
    const int e = (int)exponent - 127 + 15;  // the half's biased exponent
    if (e >= 31) return (uint16_t)(sign | 0x7C00);
    if (e >= 1) {
        uint32_t half = ((uint32_t)e << 10) | (mantissa >> 13);
        const uint32_t rest = mantissa & 0x1FFF;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) half++;  // a carry may reach infinity, rightly
        return (uint16_t)(sign | half);
    }
    // Subnormal or zero: the significand, with its leading 1, in units of 2^-24.
    const int shift = 14 - e;
    if (shift > 24) return (uint16_t)sign;
    const uint32_t significand = mantissa | 0x800000;
    uint32_t half = significand >> shift;
    const uint32_t rest = significand & ((1u << shift) - 1), halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1))) half++;
    return (uint16_t)(sign | half);
}

#if defined(__x86_64__)
#include <immintrin.h>
__attribute__((target("avx,f16c"))) static void halves_f16c(const float *x, size_t count, uint16_t *out) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        _mm_storeu_si128((__m128i *)(out + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
    for (; i < count; i++) out[i] = half_from_float(x[i]);
}
#endif

void poe_f16_from_f32_using(int implementation, const float *x, size_t count, uint16_t *out) {
#if defined(__x86_64__)
    if (implementation >= 1 && poe_simd_level() >= 1) {
        halves_f16c(x, count, out);
        return;
    }
#endif
    for (size_t i = 0; i < count; i++) out[i] = half_from_float(x[i]);
}

void poe_f16_from_f32(const float *x, size_t count, uint16_t *out) { poe_f16_from_f32_using(poe_simd_level(), x, count, out); }
