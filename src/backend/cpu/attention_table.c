/* The CPU table of transformer kernels, pointed to by NeopBackendCPU.attention. */
#include "backend/cpu/attention.h"

const NeopAttentionKernels NeopAttentionKernelsCPU = {
  .layer_norm_forward  = neop_cpu_layer_norm_forward,
  .layer_norm_backward = neop_cpu_layer_norm_backward,
  .softmax_forward     = neop_cpu_softmax_forward,
  .softmax_backward    = neop_cpu_softmax_backward,
  .linear_forward      = neop_cpu_linear_forward,
  .linear_backward     = neop_cpu_linear_backward,
  .physics_forward     = neop_cpu_physics_forward,
  .physics_backward    = neop_cpu_physics_backward,
  .glu_forward         = neop_cpu_glu_forward,
  .glu_backward        = neop_cpu_glu_backward,
  .to_tokens           = neop_cpu_to_tokens,
  .to_fields           = neop_cpu_to_fields,
  .token_conv_forward  = neop_cpu_token_conv_forward,
  .token_conv_backward = neop_cpu_token_conv_backward,
};
