/* Op dispatch (eval). The model was fully validated by tpr_model_init(). See tpr.h. */
#include <string.h>

#include "tpr_internal.h"

tpr_status tpr_invoke(tpr_model* m) {
  if (!m || !m->ops) return TPR_ERR_ARG;
  for (uint32_t i = 0; i < m->num_ops; ++i) {
    const struct tpr_op_rt* op = &m->ops[i];
    switch (op->opcode) {
      case TPR_OP_CONV2D:
        if (op->impl == TPR_IMPL_CONV_FWCS)
          tpr_conv2d_fwcs_s8(&op->u.conv, &op->q, &op->in_dims, op->in0, &op->f_dims, &op->fwcs,
                             op->bias, &op->out_dims, op->out, m->scratch);
        else if (op->impl == TPR_IMPL_CONV_1X1)
          tpr_conv2d_1x1_s8(&op->u.conv, &op->q, &op->in_dims, op->in0, &op->f_dims, op->filter,
                            op->bias, &op->out_dims, op->out, m->scratch);
        else
          tpr_conv2d_s8(&op->u.conv, &op->q, &op->in_dims, op->in0, &op->f_dims, op->filter,
                        op->bias, &op->out_dims, op->out, m->scratch);
        break;
      case TPR_OP_DEPTHWISE_CONV2D:
        tpr_depthwise_conv2d_s8(&op->u.conv, &op->q, &op->in_dims, op->in0, &op->f_dims,
                                op->filter, op->bias, &op->out_dims, op->out, m->scratch);
        break;
      case TPR_OP_FULLY_CONNECTED:
        tpr_fully_connected_s8(&op->u.fc, &op->q, op->in_dims.n, op->in_dims.c, op->in0,
                               op->f_dims.n, op->filter, op->bias, op->out, m->scratch);
        break;
      case TPR_OP_ADD:
        tpr_add_s8(&op->u.add, op->count, op->in0, op->in1, op->out);
        break;
      case TPR_OP_MAX_POOL:
        tpr_max_pool_s8(&op->u.pool, &op->in_dims, op->in0, &op->out_dims, op->out);
        break;
      case TPR_OP_AVG_POOL:
        tpr_avg_pool_s8(&op->u.pool, &op->in_dims, op->in0, &op->out_dims, op->out);
        break;
      case TPR_OP_GLOBAL_AVG_POOL:
        tpr_global_avg_pool_s8(&op->u.gap, &op->in_dims, op->in0, op->out);
        break;
      case TPR_OP_RESHAPE:
        if (op->out != op->in0) memmove(op->out, op->in0, op->count);
        break;
      default:
        return TPR_ERR_ARG; /* unreachable after validation */
    }
  }
  return TPR_OK;
}
