// The semantic analysis stage: syntax tree → checked interface.
