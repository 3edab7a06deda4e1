// Placeholder so the target builds; replaced by the HurdIDLSyntax implementation.
