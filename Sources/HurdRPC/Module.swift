// Placeholder so the target builds; replaced by the HurdRPC implementation.
