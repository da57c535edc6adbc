int tpr_version(void) { return 1; }
