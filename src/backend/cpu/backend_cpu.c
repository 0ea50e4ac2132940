#include "backend/cpu/cpu.h"

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
  .unary_forward  = neop_cpu_unary_forward,
  .unary_backward = neop_cpu_unary_backward,
  .spectral       = &neop_cpu_spectral,
};

const NeopBackend *NeopBackendGet(void) { return &NeopBackendCPU; }
