/* C types for the C import tests: every kind the table describes. */
#ifndef LAYOUT_H
#define LAYOUT_H
#include <stdint.h>

typedef struct point {
  int32_t x;
  int32_t y;
} point_t;

/* Padding after tag and at the end: 24 bytes on x86_64, 16 on i386. */
typedef struct mixed {
  char tag;
  int64_t big;
  short small;
} mixed_t;

typedef union either {
  int32_t i;
  double d;
} either_t;

typedef uint16_t ids_t[6];

typedef struct flags {
  unsigned a : 3;
  unsigned b : 5;
} flags_t;

typedef struct point *point_array_t;

typedef enum color { red, green } color_t;

typedef float ratio_t;
typedef _Bool flag_t;

/* Plain scalar and array fields: mapped to a Swift struct field by field. */
typedef struct sample {
  int32_t id;
  uint8_t bytes[4];
  double weight;
  int16_t values[3];
  _Bool valid;
  uint64_t stamp;
} sample_t;

typedef struct nested {
  point_t where;
  long count;
} nested_t;

typedef long wide_t;

#ifdef LAYOUT_EXTRA
typedef int extra_t;
#endif

#endif
