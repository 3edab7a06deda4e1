/* Only built-in C types, so every target parses it without its C library. */
typedef long wide_t;
typedef struct pair {
  long first;
  int second;
} pair_t;
typedef void *handle_t;
