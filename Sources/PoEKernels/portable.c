// The portable reference: each format decoded value by value, and products as dequantize-then-dot.
#pragma STDC FP_CONTRACT OFF  // a*b+c stays two roundings, as in gguf-py
#include "blocks.h"
#include <stdlib.h>

static void q4_0(const uint8_t *b, float *y) {
    const float d = poe_half(b);
    for (int j = 0; j < 16; j++) {
        y[j] = (float)((int)(b[2 + j] & 0xF) - 8) * d;
        y[j + 16] = (float)((int)(b[2 + j] >> 4) - 8) * d;
    }
}

static void q4_1(const uint8_t *b, float *y) {
    const float d = poe_half(b), m = poe_half(b + 2);
    for (int j = 0; j < 16; j++) {
        y[j] = (float)(b[4 + j] & 0xF) * d + m;
        y[j + 16] = (float)(b[4 + j] >> 4) * d + m;
    }
}

static void q5_0(const uint8_t *b, float *y) {
    const float d = poe_half(b);
    const uint32_t qh = poe_u32(b + 2);
    for (int j = 0; j < 16; j++) {
        const int high0 = ((qh >> j) << 4) & 0x10, high1 = (qh >> (j + 12)) & 0x10;
        y[j] = (float)(((b[6 + j] & 0xF) | high0) - 16) * d;
        y[j + 16] = (float)(((b[6 + j] >> 4) | high1) - 16) * d;
    }
}

static void q5_1(const uint8_t *b, float *y) {
    const float d = poe_half(b), m = poe_half(b + 2);
    const uint32_t qh = poe_u32(b + 4);
    for (int j = 0; j < 16; j++) {
        const int high0 = ((qh >> j) << 4) & 0x10, high1 = (qh >> (j + 12)) & 0x10;
        y[j] = (float)((b[8 + j] & 0xF) | high0) * d + m;
        y[j + 16] = (float)((b[8 + j] >> 4) | high1) * d + m;
    }
}

static void q8_0(const uint8_t *b, float *y) {
    const float d = poe_half(b);
    for (int j = 0; j < 32; j++) y[j] = (float)(int8_t)b[2 + j] * d;
}

static void q4_k(const uint8_t *b, float *y) {
    const float d = poe_half(b), dmin = poe_half(b + 2);
    const uint8_t *scales = b + 4, *qs = b + 16;
    for (int pair = 0; pair < 4; pair++) {
        uint8_t s0, m0, s1, m1;
        poe_scale_min_k4(2 * pair, scales, &s0, &m0);
        poe_scale_min_k4(2 * pair + 1, scales, &s1, &m1);
        const float d0 = d * s0, min0 = dmin * m0, d1 = d * s1, min1 = dmin * m1;
        for (int l = 0; l < 32; l++) {
            y[64 * pair + l] = d0 * (float)(qs[32 * pair + l] & 0xF) - min0;
            y[64 * pair + l + 32] = d1 * (float)(qs[32 * pair + l] >> 4) - min1;
        }
    }
}

static void q5_k(const uint8_t *b, float *y) {
    const float d = poe_half(b), dmin = poe_half(b + 2);
    const uint8_t *scales = b + 4, *qh = b + 16, *qs = b + 48;
    for (int pair = 0; pair < 4; pair++) {
        uint8_t s0, m0, s1, m1;
        poe_scale_min_k4(2 * pair, scales, &s0, &m0);
        poe_scale_min_k4(2 * pair + 1, scales, &s1, &m1);
        const float d0 = d * s0, min0 = dmin * m0, d1 = d * s1, min1 = dmin * m1;
        const uint8_t bit0 = (uint8_t)(1 << (2 * pair)), bit1 = (uint8_t)(2 << (2 * pair));
        for (int l = 0; l < 32; l++) {
            const uint8_t q = qs[32 * pair + l];
            y[64 * pair + l] = d0 * (float)((q & 0xF) + ((qh[l] & bit0) ? 16 : 0)) - min0;
            y[64 * pair + l + 32] = d1 * (float)((q >> 4) + ((qh[l] & bit1) ? 16 : 0)) - min1;
        }
    }
}

static void q6_k(const uint8_t *b, float *y) {
    const float d = poe_half(b + 208);
    for (int half = 0; half < 2; half++) {
        const uint8_t *ql = b + 64 * half, *qh = b + 128 + 32 * half;
        const int8_t *sc = (const int8_t *)(b + 192 + 8 * half);
        float *out = y + 128 * half;
        for (int l = 0; l < 32; l++) {
            const int s = l / 16;
            const int q1 = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) - 32;
            const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
            const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            out[l] = d * (float)sc[s] * (float)q1;
            out[l + 32] = d * (float)sc[s + 2] * (float)q2;
            out[l + 64] = d * (float)sc[s + 4] * (float)q3;
            out[l + 96] = d * (float)sc[s + 6] * (float)q4;
        }
    }
}

int poe_dequantize_portable(int type, const uint8_t *source, size_t count, float *values) {
    int block, bytes;
    poe_layout(type, &block, &bytes);
    if (block == 0) return -1;
    for (size_t i = 0; i < count / block; i++) {
        const uint8_t *b = source + i * bytes;
        float *y = values + i * block;
        switch (type) {
        case 0: memcpy(y, b, 4); break;
        case 1: *y = poe_half(b); break;
        case 30: { uint32_t bits = (uint32_t)(b[0] | (b[1] << 8)) << 16; memcpy(y, &bits, 4); break; }
        case 2: q4_0(b, y); break;
        case 3: q4_1(b, y); break;
        case 6: q5_0(b, y); break;
        case 7: q5_1(b, y); break;
        case 8: q8_0(b, y); break;
        case 12: q4_k(b, y); break;
        case 13: q5_k(b, y); break;
        case 14: q6_k(b, y); break;
        }
    }
    return 0;
}

int poe_matmul_portable(int type, const uint8_t *weights, size_t row_bytes, int row_begin, int row_end, int n,
                        const float *x, size_t x_stride, int m, float *y, size_t y_stride) {
    float *row = malloc(sizeof(float) * (size_t)n);
    if (!row) return -1;
    for (int r = row_begin; r < row_end; r++) {
        if (poe_dequantize_portable(type, weights + (size_t)r * row_bytes, (size_t)n, row) != 0) {
            free(row);
            return -1;
        }
        for (int i = 0; i < m; i++) {
            const float *v = x + (size_t)i * x_stride;
            float sum = 0;
            for (int k = 0; k < n; k++) sum += row[k] * v[k];
            y[(size_t)i * y_stride + r] = sum;
        }
    }
    free(row);
    return 0;
}
