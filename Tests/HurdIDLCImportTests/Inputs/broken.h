/* A header with an error, for the c-header-error golden. */
typedef struct broken {
  int a b;
} broken_t;
