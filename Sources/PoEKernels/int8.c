// Products with activations rounded to 8 bits (the opt-in `q8` precision): rounding activations, and the
// portable reference for the integer products.
//
// Every block format is, per group of 32 values, integers q_j times a float d and a small integer scale
// per 16 values, plus an offset: w_j = d · scale[j / 16] · q_j + minimum. Against an activation block
// (x_j ≈ dx · qx_j) the group contributes d·dx · Σ scale·q·qx (an exact integer) + minimum · dx·Σ qx:
// the dot product of the dequantized weights with the rounded activations.
// The integer sum is kept as eight partial sums of four neighbouring values, each scaled into its own float
// lane with one fused multiply-add, because that is what AVX2's byte products give (`avx2_int8.c`); the
// lanes are then summed in `poe_hsum8`'s order. So the reference and the SIMD code give the same bits.
#pragma STDC FP_CONTRACT OFF
#include "PoEKernels.h"
#include "blocks.h"
#include <math.h>
#include <stdlib.h>

/// The sum of eight lanes in `poe_hsum8`'s order: halves first, then pairs.
static float hsum8(const float a[8]) {
    const float s0 = a[0] + a[4], s1 = a[1] + a[5], s2 = a[2] + a[6], s3 = a[3] + a[7];
    return (s0 + s2) + (s1 + s3);
}

void poe_quantize_activations_portable(const float *x, size_t x_stride, int m, int n, poe_q8_block *out) {
    const int groups = n / 32;
    for (int i = 0; i < m; i++) {
        for (int g = 0; g < groups; g++) {
            const float *values = x + (size_t)i * x_stride + 32 * g;
            poe_q8_block *block = out + (size_t)i * (size_t)groups + g;
            float largest = 0;
            for (int j = 0; j < 32; j++) {
                const float a = fabsf(values[j]);
                if (a > largest && a < INFINITY) largest = a;  // NaN compares false
            }
            const float d = largest / 127, inverse = d != 0 ? 1 / d : 0;
            for (int j = 0; j < 32; j++) {
                // A finite value over the largest finite one rounds into [-127, 127]; the clamp is for safety.
                const float r = isfinite(values[j]) ? nearbyintf(values[j] * inverse) : 0;
                block->q[j] = (int8_t)(r > 127 ? 127 : r < -127 ? -127 : r);
            }
            int total = 0;
            for (int j = 0; j < 32; j++) total += block->q[j];
            block->sum = d * (float)total;
            block->d = d;
        }
    }
}

void poe_quantize_activations_using(int implementation, const float *x, size_t x_stride, int m, int n, poe_q8_block *out) {
    if (implementation >= 1 && poe_simd_level() >= 1) poe_quantize_activations_avx2(x, x_stride, m, n, out);
    else poe_quantize_activations_portable(x, x_stride, m, n, out);
}

void poe_quantize_activations(const float *x, size_t x_stride, int m, int n, poe_q8_block *out) {
    poe_quantize_activations_using(poe_simd_level(), x, x_stride, m, n, out);
}

int poe_supports_q8(int type) {
    switch (type) {
    case POE_Q4_0: case POE_Q4_1: case POE_Q5_0: case POE_Q5_1: case POE_Q8_0: case POE_Q4_K: case POE_Q5_K: case POE_Q6_K: return 1;
    default: return 0;
    }
}

/// Group `g` of the block at `b` in integer form: w_j = d · scale[j / 16] · q[j] + minimum.
static void integer_group(int type, const uint8_t *b, int g, int q[32], int scale[2], float *d, float *minimum) {
    scale[0] = scale[1] = 1;
    *minimum = 0;
    switch (type) {
    case POE_Q4_0:
    case POE_Q4_1: {
        const uint8_t *qs = b + (type == POE_Q4_0 ? 2 : 4);
        const int offset = type == POE_Q4_0 ? 8 : 0;
        for (int j = 0; j < 16; j++) { q[j] = (qs[j] & 0xF) - offset; q[j + 16] = (qs[j] >> 4) - offset; }
        *d = poe_half(b);
        if (type == POE_Q4_1) *minimum = poe_half(b + 2);
        return;
    }
    case POE_Q5_0:
    case POE_Q5_1: {
        const int has_min = type == POE_Q5_1;
        const uint32_t qh = poe_u32(b + (has_min ? 4 : 2));
        const uint8_t *qs = b + (has_min ? 8 : 6);
        const int offset = has_min ? 0 : 16;
        for (int j = 0; j < 16; j++) {
            q[j] = ((qs[j] & 0xF) | (((qh >> j) & 1) << 4)) - offset;
            q[j + 16] = ((qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - offset;
        }
        *d = poe_half(b);
        if (has_min) *minimum = poe_half(b + 2);
        return;
    }
    case POE_Q8_0:
        for (int j = 0; j < 32; j++) q[j] = (int8_t)b[2 + j];
        *d = poe_half(b);
        return;
    case POE_Q4_K:
    case POE_Q5_K: {
        // Sub-block g: the low (g even) or high nibbles of the 32 bytes of pair g / 2, and for Q5_K bit g
        // of qh[j].
        const int five = type == POE_Q5_K;
        const uint8_t *qs = b + (five ? 48 : 16) + 32 * (g / 2), *qh = b + 16;
        for (int j = 0; j < 32; j++) {
            q[j] = (g % 2 ? qs[j] >> 4 : qs[j] & 0xF) + (five && (qh[j] >> g) & 1 ? 16 : 0);
        }
        uint8_t sc, mn;
        poe_scale_min_k4(g, b + 4, &sc, &mn);
        scale[0] = scale[1] = sc;
        *d = poe_half(b);
        *minimum = -(poe_half(b + 2) * (float)mn);
        return;
    }
    case POE_Q6_K: {
        // Group g = 4h + k: values 128h + 32k + j, from the low (k < 2) or high nibbles of
        // ql[64h + 32(k mod 2) + j] and bit pair k of qh[32h + j].
        const int h = g / 4, k = g % 4;
        const uint8_t *ql = b + 64 * h + 32 * (k % 2), *qh = b + 128 + 32 * h;
        for (int j = 0; j < 32; j++) q[j] = ((k < 2 ? ql[j] & 0xF : ql[j] >> 4) | (((qh[j] >> (2 * k)) & 3) << 4)) - 32;
        const int8_t *sc = (const int8_t *)(b + 192 + 8 * h + 2 * k);
        scale[0] = sc[0];
        scale[1] = sc[1];
        *d = poe_half(b + 208);
        return;
    }
    }
}

int poe_matmul_q8_portable(int type, const uint8_t *weights, size_t row_bytes, int row_begin, int row_end, int n,
                           const poe_q8_block *x, int m, float *y, size_t y_stride) {
    if (!poe_supports_q8(type)) return -1;
    int block_values, block_bytes;
    poe_layout(type, &block_values, &block_bytes);
    const int per_block = poe_q8_groups_per_block(type), groups = n / 32;
    float *lanes = malloc(sizeof(float) * 9 * (size_t)(m > 0 ? m : 1));  // 8 lanes and the offset's sum, per vector
    if (!lanes) return -1;
    for (int r = row_begin; r < row_end; r++) {
        const uint8_t *row = weights + (size_t)r * row_bytes;
        for (int i = 0; i < 9 * m; i++) lanes[i] = 0;
        for (int g = 0; g < groups; g++) {
            int q[32], scale[2];
            float d, minimum;
            integer_group(type, row + (size_t)(g / per_block) * (size_t)block_bytes, g % per_block, q, scale, &d, &minimum);
            for (int i = 0; i < m; i++) {
                const poe_q8_block *a = x + (size_t)i * (size_t)groups + g;
                float *acc = lanes + 9 * i;
                const float factor = d * a->d;
                for (int k = 0; k < 8; k++) {
                    int sum = 0;
                    for (int j = 4 * k; j < 4 * k + 4; j++) sum += scale[j / 16] * q[j] * a->q[j];
                    acc[k] = fmaf(factor, (float)sum, acc[k]);
                }
                if (poe_q8_has_offset(type)) acc[8] += minimum * a->sum;
            }
        }
        for (int i = 0; i < m; i++) y[(size_t)i * y_stride + r] = hsum8(lanes + 9 * i) + lanes[9 * i + 8];
    }
    free(lanes);
    return 0;
}
