// The feed-forward block's gated activations, act(gate) · up, with the logistic form of each:
//   SiLU:            x · σ(x)   = x / (1 + e^(−x))
//   GELU (tanh form): ½x(1 + tanh z) = x / (1 + e^(−2z)),  z = √(2/π)·(x + 0.044715·x³)
// The second identity avoids tanh's cancellation near −1, so one exp serves both.
#pragma STDC FP_CONTRACT OFF
#include "PoEKernels.h"
#include "blocks.h"
#include <math.h>

// 2·√(2/π) and 2·√(2/π)·0.044715.
static const float GELU_LINEAR = 1.5957691216057308f, GELU_CUBIC = 0.07135481627260025f;

static void gated_portable(int kind, float *gate, const float *up, size_t count) {
    for (size_t i = 0; i < count; i++) {
        const float x = gate[i], t = kind == POE_GELU_TANH ? x * (GELU_LINEAR + GELU_CUBIC * (x * x)) : x;
        gate[i] = x / (1 + expf(-t)) * up[i];
    }
}

#if defined(__x86_64__)
#include <immintrin.h>
#define TARGET __attribute__((target("avx512f,avx512dq,fma")))

TARGET static void gated_avx512(int kind, float *gate, const float *up, size_t count) {
    const __m512 one = _mm512_set1_ps(1);
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        const __m512 x = _mm512_loadu_ps(gate + i);
        const __m512 t = kind == POE_GELU_TANH
            ? _mm512_mul_ps(x, _mm512_add_ps(_mm512_set1_ps(GELU_LINEAR), _mm512_mul_ps(_mm512_set1_ps(GELU_CUBIC), _mm512_mul_ps(x, x))))
            : x;
        const __m512 activated = _mm512_div_ps(x, _mm512_add_ps(one, poe_exp16(_mm512_sub_ps(_mm512_setzero_ps(), t))));
        _mm512_storeu_ps(gate + i, _mm512_mul_ps(activated, _mm512_loadu_ps(up + i)));
    }
    gated_portable(kind, gate + i, up + i, count - i);
}

/// The same eight at a time, for AVX2 machines.
__attribute__((target("avx2,fma"))) static void gated_avx2(int kind, float *gate, const float *up, size_t count) {
    const __m256 one = _mm256_set1_ps(1);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256 x = _mm256_loadu_ps(gate + i);
        const __m256 t = kind == POE_GELU_TANH
            ? _mm256_mul_ps(x, _mm256_add_ps(_mm256_set1_ps(GELU_LINEAR), _mm256_mul_ps(_mm256_set1_ps(GELU_CUBIC), _mm256_mul_ps(x, x))))
            : x;
        const __m256 activated = _mm256_div_ps(x, _mm256_add_ps(one, poe_exp8(_mm256_sub_ps(_mm256_setzero_ps(), t))));
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(activated, _mm256_loadu_ps(up + i)));
    }
    gated_portable(kind, gate + i, up + i, count - i);
}
#endif

void poe_gated_activation_using(int implementation, int kind, float *gate, const float *up, size_t count) {
#if defined(__x86_64__)
    if (implementation >= 2 && poe_simd_level() >= 2) {
        gated_avx512(kind, gate, up, count);
        return;
    }
    if (implementation >= 1 && poe_simd_level() >= 1) {
        gated_avx2(kind, gate, up, count);
        return;
    }
#endif
    gated_portable(kind, gate, up, count);
}

void poe_gated_activation(int kind, float *gate, const float *up, size_t count) {
    poe_gated_activation_using(poe_simd_level(), kind, gate, up, count);
}
