// Placeholder so the target builds; replaced by the HurdRPCL4 implementation.
