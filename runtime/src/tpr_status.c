/* Status names and library version. See tpr.h. */
#include "tpr.h"

const char* tpr_status_str(tpr_status s) {
  switch (s) {
    case TPR_OK: return "TPR_OK";
    case TPR_ERR_ARG: return "TPR_ERR_ARG";
    case TPR_ERR_CORRUPT: return "TPR_ERR_CORRUPT";
    case TPR_ERR_VERSION: return "TPR_ERR_VERSION";
    case TPR_ERR_UNSUPPORTED: return "TPR_ERR_UNSUPPORTED";
    case TPR_ERR_ARENA: return "TPR_ERR_ARENA";
  }
  return "TPR_ERR_UNKNOWN";
}

int tpr_version(void) { return 100; /* 0.1.0 */ }
