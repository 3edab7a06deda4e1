// Placeholder so the target builds; replaced by the HurdIDLCompiler implementation.
