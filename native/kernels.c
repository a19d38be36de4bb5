/*
 * Native kernels for the TensorFlow.js WebAssembly backend (optional): convolutions and
 * train-mode BatchNorm + ReLU.
 *
 * The wasm backend computes with 128-bit SIMD on one thread and no FMA; OpenBLAS's sgemm uses
 * the host's AVX2/AVX-512 FMA units on every core. A 3x3 convolution and both of its
 * gradients are matrix products once the input is laid out as patches (im2col), so these
 * three kernels hand the heavy part to cblas_sgemm and keep only the patch copy here.
 * No library offers "NHWC im2col convolution on caller-owned float buffers" through Node-API,
 * which is why this file exists at all.
 *
 * Tensors are the wasm heap's own memory (zero copy): NHWC activations, HWIO filters, stride
 * 1, no dilation, arbitrary zero padding. Built by scripts/build-native.mjs when a C compiler
 * and libopenblas-dev are present; the JS side falls back to the wasm kernels otherwise.
 */
#include <cblas.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/*
 * Patches are made a block of output rows at a time, small enough to stay in cache between
 * the copy and the product (measured: 64 MiB blocks were 3-8x slower than 256 KiB ones, 1 MiB ones up to 1.5x).
 */
#ifndef CHUNK_FLOATS
#define CHUNK_FLOATS (64u << 10)
#endif

/* One grow-only patch buffer: JS calls in one process never overlap, and a fresh large
   malloc per call costs a page fault per 4 KiB. */
static float *scratch = NULL;
static size_t scratch_floats = 0;

static float *patch_buffer(size_t floats) {
  if (floats > scratch_floats) {
    free(scratch);
    scratch = malloc(sizeof(float) * floats);
    scratch_floats = scratch ? floats : 0;
  }
  return scratch;
}

typedef struct {
  int n, h, w, c;
} Shape;

/* cols[(r*ow + ox), (ky*kw + kx)*c + ch] = x[oy0 + r + ky - pt, ox + kx - pl, ch] or 0. */
static void im2col(const float *x, Shape s, int kh, int kw, int pt, int pl, int oy0, int rows,
                   int ow, float *cols) {
  const size_t k = (size_t)kh * kw * s.c;
  for (int r = 0; r < rows; r++) {
    const int oy = oy0 + r;
    for (int ox = 0; ox < ow; ox++) {
      float *dst = cols + ((size_t)r * ow + ox) * k;
      for (int ky = 0; ky < kh; ky++) {
        const int iy = oy + ky - pt;
        float *row = dst + (size_t)ky * kw * s.c;
        if (iy < 0 || iy >= s.h) {
          memset(row, 0, sizeof(float) * (size_t)kw * s.c);
          continue;
        }
        const float *src = x + (size_t)iy * s.w * s.c;
        int kx = 0;
        /* Leading taps left of the image, a contiguous run inside it, trailing taps right. */
        for (; kx < kw && ox + kx - pl < 0; kx++) memset(row + (size_t)kx * s.c, 0, sizeof(float) * s.c);
        int kend = kx;
        while (kend < kw && ox + kend - pl < s.w) kend++;
        if (kend > kx) {
          memcpy(row + (size_t)kx * s.c, src + (size_t)(ox + kx - pl) * s.c,
                 sizeof(float) * (size_t)(kend - kx) * s.c);
        }
        for (kx = kend; kx < kw; kx++) memset(row + (size_t)kx * s.c, 0, sizeof(float) * s.c);
      }
    }
  }
}

static int rows_per_chunk(int oh, int ow, size_t k) {
  size_t per_row = (size_t)ow * k;
  size_t r = per_row > 0 ? CHUNK_FLOATS / per_row : (size_t)oh;
  if (r < 1) r = 1;
  if (r > (size_t)oh) r = (size_t)oh;
  return (int)r;
}

/* Patches of `rows` output rows starting at global row g (image g / oh, row g % oh). */
static void im2col_rows(const float *x, Shape s, int kh, int kw, int pt, int pl, int oh, int ow,
                        size_t g, int rows, float *cols) {
  const size_t k = (size_t)kh * kw * s.c;
  while (rows > 0) {
    const int b = (int)(g / oh), oy = (int)(g % oh);
    const int r = oy + rows <= oh ? rows : oh - oy;
    im2col(x + (size_t)b * s.h * s.w * s.c, s, kh, kw, pt, pl, oy, r, ow, cols);
    cols += (size_t)r * ow * k;
    g += r;
    rows -= r;
  }
}

/*
 * One input and one output channel (the SSIM window): a patch copy would multiply memory by
 * the tap count for a single dot product per pixel, so taps are applied directly, one
 * contiguous run of output pixels per tap.
 */
static void conv_single_channel(const float *x, Shape s, const float *filter, int kh, int kw,
                                int pt, int pl, int oh, int ow, float *out) {
  for (int b = 0; b < s.n; b++) {
    const float *xb = x + (size_t)b * s.h * s.w;
    float *ob = out + (size_t)b * oh * ow;
    memset(ob, 0, sizeof(float) * (size_t)oh * ow);
    for (int oy = 0; oy < oh; oy++) {
      float *restrict orow = ob + (size_t)oy * ow;
      for (int ky = 0; ky < kh; ky++) {
        const int iy = oy + ky - pt;
        if (iy < 0 || iy >= s.h) continue;
        const float *restrict xrow = xb + (size_t)iy * s.w;
        for (int kx = 0; kx < kw; kx++) {
          const float wv = filter[ky * kw + kx];
          /* ox + kx - pl must lie in [0, s.w) */
          int lo = pl - kx, hi = s.w + pl - kx;
          if (lo < 0) lo = 0;
          if (hi > ow) hi = ow;
          const float *restrict src = xrow + (kx - pl);
          for (int ox = lo; ox < hi; ox++) orow[ox] += wv * src[ox];
        }
      }
    }
  }
}

/* out[n, oh, ow, co] = conv(x, filter) (+ bias) (then ReLU). Returns 0, or -1 out of memory. */
static int conv_forward(const float *x, Shape s, const float *filter, int kh, int kw, int co,
                        int pt, int pl, int oh, int ow, const float *bias, int relu, float *out) {
  if (s.c == 1 && co == 1 && !bias && !relu) {
    conv_single_channel(x, s, filter, kh, kw, pt, pl, oh, ow, out);
    return 0;
  }
  const size_t k = (size_t)kh * kw * s.c;
  const size_t total_rows = (size_t)s.n * oh;
  const int rows = rows_per_chunk((int)(total_rows < INT32_MAX ? total_rows : INT32_MAX), ow, k);
  const int direct = kh == 1 && kw == 1 && pt == 0 && pl == 0 && oh == s.h && ow == s.w;
  float *cols = direct ? NULL : patch_buffer((size_t)rows * ow * k);
  if (!direct && !cols) return -1;
  for (size_t g = 0; g < total_rows; g += rows) {
    const int r = g + rows <= total_rows ? rows : (int)(total_rows - g);
    const float *a = x + g * ow * s.c;
    if (!direct) {
      im2col_rows(x, s, kh, kw, pt, pl, oh, ow, g, r, cols);
      a = cols;
    }
    float *o = out + g * ow * co;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r * ow, co, (int)k, 1.0f, a, (int)k,
                filter, co, 0.0f, o, co);
    /* Bias and ReLU while the block is still in cache. */
    if (bias || relu) {
      for (size_t p = 0; p < (size_t)r * ow; p++, o += co) {
        if (bias)
          for (int j = 0; j < co; j++) o[j] += bias[j];
        if (relu)
          for (int j = 0; j < co; j++) o[j] = o[j] > 0.0f ? o[j] : 0.0f;
      }
    }
  }
  return 0;
}

/* dw[kh, kw, ci, co] = sum over n, oy, ox of patch(x)ᵀ · dy. */
static int conv_backprop_filter(const float *x, Shape s, const float *dy, int oh, int ow, int co,
                                int kh, int kw, int pt, int pl, float *dw) {
  const size_t k = (size_t)kh * kw * s.c;
  const size_t total_rows = (size_t)s.n * oh;
  const int rows = rows_per_chunk((int)(total_rows < INT32_MAX ? total_rows : INT32_MAX), ow, k);
  float *cols = patch_buffer((size_t)rows * ow * k);
  if (!cols) return -1;
  float beta = 0.0f;
  for (size_t g = 0; g < total_rows; g += rows) {
    const int r = g + rows <= total_rows ? rows : (int)(total_rows - g);
    im2col_rows(x, s, kh, kw, pt, pl, oh, ow, g, r, cols);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)k, co, r * ow, 1.0f, cols, (int)k,
                dy + g * ow * co, co, beta, dw, co);
    beta = 1.0f;
  }
  if (beta == 0.0f) memset(dw, 0, sizeof(float) * k * co);
  return 0;
}

/*
 * dx = conv(dy, filter rotated by 180 degrees with in/out channels swapped), padded by
 * (k - 1 - pad): the input gradient of a stride-1 convolution is a forward convolution.
 */
static int conv_backprop_input(const float *dy, Shape dys, const float *filter, int kh, int kw,
                               int ci, int pt, int pl, int h, int w, float *dx) {
  const int co = dys.c;
  float *rot = malloc(sizeof(float) * (size_t)kh * kw * ci * co);
  if (!rot) return -1;
  for (int ky = 0; ky < kh; ky++)
    for (int kx = 0; kx < kw; kx++)
      for (int i = 0; i < ci; i++)
        for (int o = 0; o < co; o++)
          rot[(((size_t)ky * kw + kx) * co + o) * ci + i] =
              filter[(((size_t)(kh - 1 - ky) * kw + (kw - 1 - kx)) * ci + i) * co + o];
  int rc = conv_forward(dy, dys, rot, kh, kw, ci, kh - 1 - pt, kw - 1 - pl, h, w, NULL, 0, dx);
  free(rot);
  return rc;
}

/* ---- Train-mode BatchNorm + ReLU over [P, C] (pixels x channels) ---------------------- */

/*
 * Per-channel sums are taken in float over blocks of BLOCK pixels (loops the compiler
 * vectorises) and added up in double between blocks, which keeps tiny-batch BatchNorm within
 * 1e-5 of a float32 reference while staying memory-bound.
 */
#define BLOCK 64

/*
 * out = max(0, γ·x̂ + β) with x̂ = (y − mean)·invstd, batch statistics over the P pixels
 * (biased variance, as PyTorch normalises; the mean by a second pass over the residuals).
 */
static int bn_relu_forward(const float *y, size_t P, int C, const float *gamma, const float *beta,
                           double eps, float *out, float *xhat, float *mean_out, float *var_out,
                           float *invstd_out) {
  double *acc = calloc((size_t)2 * C, sizeof(double));
  float *f = malloc(sizeof(float) * (size_t)3 * C);
  if (!acc || !f) {
    free(acc);
    free(f);
    return -1;
  }
  double *restrict s1 = acc, *restrict s2 = acc + C;
  float *restrict mf = f, *restrict inv = f + C, *restrict t = f + 2 * C;
  for (size_t p0 = 0; p0 < P; p0 += BLOCK) {
    const size_t p1 = p0 + BLOCK < P ? p0 + BLOCK : P;
    for (int c = 0; c < C; c++) t[c] = 0.0f;
    for (size_t p = p0; p < p1; p++) {
      const float *restrict row = y + p * C;
      for (int c = 0; c < C; c++) t[c] += row[c];
    }
    for (int c = 0; c < C; c++) s1[c] += t[c];
  }
  for (int c = 0; c < C; c++) mf[c] = (float)(s1[c] / (double)P);
  for (size_t p0 = 0; p0 < P; p0 += BLOCK) {
    const size_t p1 = p0 + BLOCK < P ? p0 + BLOCK : P;
    for (int c = 0; c < C; c++) t[c] = 0.0f;
    for (size_t p = p0; p < p1; p++) {
      const float *restrict row = y + p * C;
      for (int c = 0; c < C; c++) {
        const float d = row[c] - mf[c];
        t[c] += d * d;
      }
    }
    for (int c = 0; c < C; c++) s2[c] += t[c];
  }
  for (int c = 0; c < C; c++) {
    const double var = s2[c] / (double)P;
    mean_out[c] = mf[c];
    var_out[c] = (float)var;
    inv[c] = (float)(1.0 / sqrt(var + eps));
    invstd_out[c] = inv[c];
  }
  for (size_t p = 0; p < P; p++) {
    const float *restrict row = y + p * C;
    float *restrict xr = xhat + p * C, *restrict orow = out + p * C;
    for (int c = 0; c < C; c++) {
      const float xh = (row[c] - mf[c]) * inv[c];
      const float o = xh * gamma[c] + beta[c];
      xr[c] = xh;
      orow[c] = o > 0.0f ? o : 0.0f;
    }
  }
  free(acc);
  free(f);
  return 0;
}

/*
 * Backward of bn_relu_forward: dz = dy·[out > 0], dβ = Σdz, dγ = Σdz·x̂,
 * dy2 = γ·invstd·(dz − dβ/P − x̂·dγ/P), and the conv-bias gradient Σdy2.
 */
static int bn_relu_backward(const float *dy, const float *out, const float *xhat, size_t P, int C,
                            const float *gamma, const float *invstd, float *dy2, float *dgamma,
                            float *dbeta, float *dbias) {
  double *acc = calloc((size_t)3 * C, sizeof(double));
  float *f = malloc(sizeof(float) * (size_t)6 * C);
  if (!acc || !f) {
    free(acc);
    free(f);
    return -1;
  }
  double *restrict sb = acc, *restrict sg = acc + C, *restrict sd = acc + 2 * C;
  float *restrict mb = f, *restrict mg = f + C, *restrict k = f + 2 * C;
  float *restrict tb = f + 3 * C, *restrict tg = f + 4 * C, *restrict td = f + 5 * C;
  for (size_t p0 = 0; p0 < P; p0 += BLOCK) {
    const size_t p1 = p0 + BLOCK < P ? p0 + BLOCK : P;
    for (int c = 0; c < C; c++) tb[c] = tg[c] = 0.0f;
    for (size_t p = p0; p < p1; p++) {
      const float *restrict d = dy + p * C, *restrict o = out + p * C, *restrict xh = xhat + p * C;
      for (int c = 0; c < C; c++) {
        const float dv = d[c], ov = o[c];
        const float dz = ov > 0.0f ? dv : 0.0f;
        tb[c] += dz;
        tg[c] += dz * xh[c];
      }
    }
    for (int c = 0; c < C; c++) {
      sb[c] += tb[c];
      sg[c] += tg[c];
    }
  }
  for (int c = 0; c < C; c++) {
    dbeta[c] = (float)sb[c];
    dgamma[c] = (float)sg[c];
    mb[c] = (float)(sb[c] / (double)P);
    mg[c] = (float)(sg[c] / (double)P);
    k[c] = gamma[c] * invstd[c];
  }
  for (size_t p0 = 0; p0 < P; p0 += BLOCK) {
    const size_t p1 = p0 + BLOCK < P ? p0 + BLOCK : P;
    for (int c = 0; c < C; c++) td[c] = 0.0f;
    for (size_t p = p0; p < p1; p++) {
      const float *restrict d = dy + p * C, *restrict o = out + p * C, *restrict xh = xhat + p * C;
      float *restrict r = dy2 + p * C;
      for (int c = 0; c < C; c++) {
        const float dv = d[c], ov = o[c];
        const float dz = ov > 0.0f ? dv : 0.0f;
        const float v = (dz - mb[c] - xh[c] * mg[c]) * k[c];
        r[c] = v;
        td[c] += v;
      }
    }
    for (int c = 0; c < C; c++) sd[c] += td[c];
  }
  for (int c = 0; c < C; c++) dbias[c] = (float)sd[c];
  free(acc);
  free(f);
  return 0;
}

/* ---- 2x2, stride-2 max-pool gradient ---------------------------------------------------- */

/*
 * dx gets each window's dy at the window's first maximum (row-major), zero elsewhere; the
 * maximum is the pooled output y. Inputs [n, h, w, c] with even h and w, y and dy [n, h/2,
 * w/2, c].
 */
static void max_pool2_grad(const float *x, const float *y, const float *dy, Shape s, float *dx) {
  const int oh = s.h / 2, ow = s.w / 2, c = s.c;
  memset(dx, 0, sizeof(float) * (size_t)s.n * s.h * s.w * c);
  for (int b = 0; b < s.n; b++)
    for (int oy = 0; oy < oh; oy++)
      for (int ox = 0; ox < ow; ox++) {
        const size_t o = (((size_t)b * oh + oy) * ow + ox) * c;
        const size_t i00 = (((size_t)b * s.h + 2 * oy) * s.w + 2 * ox) * c;
        const size_t i01 = i00 + c, i10 = i00 + (size_t)s.w * c, i11 = i10 + c;
        for (int j = 0; j < c; j++) {
          const float m = y[o + j], g = dy[o + j];
          if (x[i00 + j] == m) dx[i00 + j] = g;
          else if (x[i01 + j] == m) dx[i01 + j] = g;
          else if (x[i10 + j] == m) dx[i10 + j] = g;
          else dx[i11 + j] = g;
        }
      }
}

/* ---- Node-API glue ------------------------------------------------------------------- */

#define CHECK(env, call)                                                   \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error((env), NULL, "edgrec native: Node-API call failed"); \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

/* Fills argv with exactly `count` arguments of the call, or throws naming `fn` and returns 1. */
static int get_args(napi_env env, napi_callback_info info, size_t count, napi_value *argv,
                    const char *fn) {
  size_t argc = count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    napi_throw_error(env, NULL, "edgrec native: Node-API call failed");
    return 1;
  }
  if (argc != count) {
    char msg[96];
    snprintf(msg, sizeof msg, "edgrec native: %s takes %zu arguments", fn, count);
    napi_throw_type_error(env, NULL, msg);
    return 1;
  }
  return 0;
}

/* A Float32Array argument with at least `need` elements (need 0: may be null/undefined). */
static int get_floats(napi_env env, napi_value v, size_t need, float **out, const char *what) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_null || t == napi_undefined) {
    *out = NULL;
    if (need == 0) return 0;
  } else {
    bool is_ta = false;
    napi_is_typedarray(env, v, &is_ta);
    if (is_ta) {
      napi_typedarray_type type;
      size_t len;
      void *data;
      napi_get_typedarray_info(env, v, &type, &len, &data, NULL, NULL);
      if (type == napi_float32_array && len >= need) {
        *out = data;
        return 0;
      }
    }
  }
  char msg[160];
  snprintf(msg, sizeof msg, "edgrec native: %s must be a Float32Array of at least %zu floats", what,
           need);
  napi_throw_type_error(env, NULL, msg);
  return -1;
}

static int get_ints(napi_env env, napi_value *argv, size_t from, size_t count, int *out) {
  for (size_t i = 0; i < count; i++) {
    if (napi_get_value_int32(env, argv[from + i], &out[i]) != napi_ok || out[i] < 0) {
      napi_throw_type_error(env, NULL, "edgrec native: shape arguments must be non-negative integers");
      return -1;
    }
  }
  return 0;
}

static napi_value oom(napi_env env) {
  napi_throw_error(env, NULL, "edgrec native: out of memory for a convolution patch buffer");
  return NULL;
}

/* conv2d(x, filter, bias|null, out, n, h, w, ci, kh, kw, co, pt, pl, oh, ow, relu) */
static napi_value js_conv2d(napi_env env, napi_callback_info info) {
  napi_value argv[16];
  if (get_args(env, info, 16, argv, "conv2d")) return NULL;
  int d[12];
  if (get_ints(env, argv, 4, 12, d)) return NULL;
  Shape s = {d[0], d[1], d[2], d[3]};
  const int kh = d[4], kw = d[5], co = d[6], pt = d[7], pl = d[8], oh = d[9], ow = d[10];
  float *x, *f, *b, *o;
  if (get_floats(env, argv[0], (size_t)s.n * s.h * s.w * s.c, &x, "x") ||
      get_floats(env, argv[1], (size_t)kh * kw * s.c * co, &f, "filter") ||
      get_floats(env, argv[2], 0, &b, "bias") ||
      get_floats(env, argv[3], (size_t)s.n * oh * ow * co, &o, "out"))
    return NULL;
  if (conv_forward(x, s, f, kh, kw, co, pt, pl, oh, ow, b, d[11], o)) return oom(env);
  return NULL;
}

/* backpropFilter(x, dy, dw, n, h, w, ci, oh, ow, co, kh, kw, pt, pl) */
static napi_value js_backprop_filter(napi_env env, napi_callback_info info) {
  napi_value argv[14];
  if (get_args(env, info, 14, argv, "backpropFilter")) return NULL;
  int d[11];
  if (get_ints(env, argv, 3, 11, d)) return NULL;
  Shape s = {d[0], d[1], d[2], d[3]};
  const int oh = d[4], ow = d[5], co = d[6], kh = d[7], kw = d[8], pt = d[9], pl = d[10];
  float *x, *dy, *dw;
  if (get_floats(env, argv[0], (size_t)s.n * s.h * s.w * s.c, &x, "x") ||
      get_floats(env, argv[1], (size_t)s.n * oh * ow * co, &dy, "dy") ||
      get_floats(env, argv[2], (size_t)kh * kw * s.c * co, &dw, "dw"))
    return NULL;
  if (conv_backprop_filter(x, s, dy, oh, ow, co, kh, kw, pt, pl, dw)) return oom(env);
  return NULL;
}

/* backpropInput(dy, filter, dx, n, oh, ow, co, kh, kw, ci, pt, pl, h, w) */
static napi_value js_backprop_input(napi_env env, napi_callback_info info) {
  napi_value argv[14];
  if (get_args(env, info, 14, argv, "backpropInput")) return NULL;
  int d[11];
  if (get_ints(env, argv, 3, 11, d)) return NULL;
  Shape dys = {d[0], d[1], d[2], d[3]};
  const int kh = d[4], kw = d[5], ci = d[6], pt = d[7], pl = d[8], h = d[9], w = d[10];
  if (pt > kh - 1 || pl > kw - 1) {
    napi_throw_range_error(env, NULL, "edgrec native: backpropInput needs pad < kernel size");
    return NULL;
  }
  float *dy, *f, *dx;
  if (get_floats(env, argv[0], (size_t)dys.n * dys.h * dys.w * dys.c, &dy, "dy") ||
      get_floats(env, argv[1], (size_t)kh * kw * ci * dys.c, &f, "filter") ||
      get_floats(env, argv[2], (size_t)dys.n * h * w * ci, &dx, "dx"))
    return NULL;
  if (conv_backprop_input(dy, dys, f, kh, kw, ci, pt, pl, h, w, dx)) return oom(env);
  return NULL;
}

/* bnReluForward(y, gamma, beta, out, xhat, mean, variance, invstd, pixels, channels, eps) */
static napi_value js_bn_relu_forward(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  if (get_args(env, info, 11, argv, "bnReluForward")) return NULL;
  int d[2];
  double eps;
  if (get_ints(env, argv, 8, 2, d)) return NULL;
  if (napi_get_value_double(env, argv[10], &eps) != napi_ok) {
    napi_throw_type_error(env, NULL, "edgrec native: eps must be a number");
    return NULL;
  }
  const size_t P = (size_t)d[0], C = (size_t)d[1];
  float *y, *g, *b, *o, *xh, *mean, *var, *inv;
  if (get_floats(env, argv[0], P * C, &y, "y") || get_floats(env, argv[1], C, &g, "gamma") ||
      get_floats(env, argv[2], C, &b, "beta") || get_floats(env, argv[3], P * C, &o, "out") ||
      get_floats(env, argv[4], P * C, &xh, "xhat") || get_floats(env, argv[5], C, &mean, "mean") ||
      get_floats(env, argv[6], C, &var, "variance") || get_floats(env, argv[7], C, &inv, "invstd"))
    return NULL;
  if (bn_relu_forward(y, P, (int)C, g, b, eps, o, xh, mean, var, inv)) return oom(env);
  return NULL;
}

/* bnReluBackward(dy, out, xhat, gamma, invstd, dy2, dgamma, dbeta, dbias, pixels, channels) */
static napi_value js_bn_relu_backward(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  if (get_args(env, info, 11, argv, "bnReluBackward")) return NULL;
  int d[2];
  if (get_ints(env, argv, 9, 2, d)) return NULL;
  const size_t P = (size_t)d[0], C = (size_t)d[1];
  float *dy, *o, *xh, *g, *inv, *dy2, *dg, *db, *dbias;
  if (get_floats(env, argv[0], P * C, &dy, "dy") || get_floats(env, argv[1], P * C, &o, "out") ||
      get_floats(env, argv[2], P * C, &xh, "xhat") || get_floats(env, argv[3], C, &g, "gamma") ||
      get_floats(env, argv[4], C, &inv, "invstd") || get_floats(env, argv[5], P * C, &dy2, "dy2") ||
      get_floats(env, argv[6], C, &dg, "dgamma") || get_floats(env, argv[7], C, &db, "dbeta") ||
      get_floats(env, argv[8], C, &dbias, "dbias"))
    return NULL;
  if (bn_relu_backward(dy, o, xh, P, (int)C, g, inv, dy2, dg, db, dbias)) return oom(env);
  return NULL;
}

/* maxPool2Grad(x, y, dy, dx, n, h, w, c) */
static napi_value js_max_pool2_grad(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (get_args(env, info, 8, argv, "maxPool2Grad")) return NULL;
  int d[4];
  if (get_ints(env, argv, 4, 4, d)) return NULL;
  Shape s = {d[0], d[1], d[2], d[3]};
  if (s.h % 2 || s.w % 2) {
    napi_throw_range_error(env, NULL, "edgrec native: maxPool2Grad needs even height and width");
    return NULL;
  }
  const size_t in = (size_t)s.n * s.h * s.w * s.c, outn = in / 4;
  float *x, *y, *dy, *dx;
  if (get_floats(env, argv[0], in, &x, "x") || get_floats(env, argv[1], outn, &y, "y") ||
      get_floats(env, argv[2], outn, &dy, "dy") || get_floats(env, argv[3], in, &dx, "dx"))
    return NULL;
  max_pool2_grad(x, y, dy, s, dx);
  return NULL;
}

/* setThreads(n): OpenBLAS worker threads for the following calls. */
static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int n = 1;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1) {
    napi_throw_type_error(env, NULL, "edgrec native: setThreads takes a positive integer");
    return NULL;
  }
  openblas_set_num_threads(n);
  return NULL;
}

/* info(): { threads, core, config } of the OpenBLAS in use. */
static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj, v;
  CHECK(env, napi_create_object(env, &obj));
  CHECK(env, napi_create_int32(env, openblas_get_num_threads(), &v));
  CHECK(env, napi_set_named_property(env, obj, "threads", v));
  CHECK(env, napi_create_string_utf8(env, openblas_get_corename(), NAPI_AUTO_LENGTH, &v));
  CHECK(env, napi_set_named_property(env, obj, "core", v));
  CHECK(env, napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &v));
  CHECK(env, napi_set_named_property(env, obj, "config", v));
  return obj;
}

static napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"conv2d", NULL, js_conv2d, NULL, NULL, NULL, napi_default, NULL},
      {"backpropFilter", NULL, js_backprop_filter, NULL, NULL, NULL, napi_default, NULL},
      {"backpropInput", NULL, js_backprop_input, NULL, NULL, NULL, napi_default, NULL},
      {"bnReluForward", NULL, js_bn_relu_forward, NULL, NULL, NULL, napi_default, NULL},
      {"bnReluBackward", NULL, js_bn_relu_backward, NULL, NULL, NULL, napi_default, NULL},
      {"maxPool2Grad", NULL, js_max_pool2_grad, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"info", NULL, js_info, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
