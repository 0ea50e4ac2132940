#include "backend/cpu/cpu.h"
#include <neop/nn/transformer.h>
#include <neop/nn/onet.h>
#include <neop/nn/conv.h>
#include <neop/nn/loss_h1.h>

const NeopBackend NeopBackendCPU = {
  .name           = "cpu",
  .alloc          = neop_cpu_alloc,
  .free           = neop_cpu_free,
  .zero           = neop_cpu_zero,
  .copy           = neop_cpu_copy,
  .to_host        = neop_cpu_copy,
  .from_host      = neop_cpu_copy,
  .sgemm          = neop_cpu_sgemm,
  .sgemm_batched  = neop_cpu_sgemm_batched,
  .axpby = neop_cpu_axpby,
  .binary = neop_cpu_binary,
  .expand = neop_cpu_expand,
  .reduce = neop_cpu_reduce,
  .copy_strided = neop_cpu_copy_strided,
  .bias_add = neop_cpu_bias_add,
  .bias_grad = neop_cpu_bias_grad,
  .lp_norm = neop_cpu_lp_norm,
  .lp_norm_backward = neop_cpu_lp_norm_backward,
  .rel_lp = neop_cpu_rel_lp,
  .rel_lp_backward = neop_cpu_rel_lp_backward,
  .sq_err = neop_cpu_sq_err,
  .sq_err_backward = neop_cpu_sq_err_backward,
  .unary_forward  = neop_cpu_unary_forward,
  .unary_backward = neop_cpu_unary_backward,
  .unary_grad = neop_cpu_unary_grad,
  .unary_forward_grad = neop_cpu_unary_forward_grad,
  .attention      = &NeopAttentionKernelsCPU,
  .onet = &NeopONetKernelsCPU,
  .optim          = &neop_cpu_optim,
  .normalizer     = &neop_cpu_normalizer,
  .conv           = &NeopConvKernelsCPU,
  .h1             = &NeopH1KernelsCPU,
  .spectral       = &neop_cpu_spectral,
  .field          = &neop_cpu_field,
};

const NeopBackend *NeopBackendGet(void) { return &NeopBackendCPU; }
