/* C structs mapped to Swift structs by `hurdidl generate --c-structs` (cstructs.defs). */
#ifndef CSTRUCTS_H
#define CSTRUCTS_H
#include <stdint.h>

/* Every kind of plain field: signed and unsigned integers of every width, _Bool, float, double,
 * arrays, and padding (after `kind`, before `load`). 48 bytes on x86_64. */
typedef struct region_info {
  uint64_t start;
  int64_t offset;
  int32_t protection;
  uint32_t resident_size;
  _Bool shared;
  uint8_t tag[3];
  int16_t deltas[2];
  double load;
  float ratio;
  uint16_t kind;
  int8_t nice;
} region_info_t;

/* Padding inside: 16 bytes, `when` at 8. */
typedef struct stamp {
  uint8_t source;
  uint64_t when;
} stamp_t;

/* A struct inside a struct is not mapped: it stays an array, with a warning. */
typedef struct outer {
  stamp_t inner;
} outer_t;

#endif
