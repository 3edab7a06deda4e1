#include "CLibClang.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hurdidl_libclang_load(const char *path, HurdIDLLibClang *api, char *error, size_t errorCapacity) {
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL) {
    const char *reason = dlerror();
    snprintf(error, errorCapacity, "%s", reason ? reason : "dlopen failed");
    return 1;
  }
  // One entry per field of HurdIDLLibClang, in order: the struct is an array of function pointers.
  static const char *const names[] = {
      "clang_getClangVersion", "clang_getCString", "clang_disposeString", "clang_createIndex",
      "clang_disposeIndex", "clang_parseTranslationUnit2", "clang_disposeTranslationUnit",
      "clang_getNumDiagnostics", "clang_getDiagnostic", "clang_disposeDiagnostic", "clang_getDiagnosticSeverity",
      "clang_getDiagnosticSpelling", "clang_getDiagnosticLocation", "clang_getPresumedLocation",
      "clang_getTranslationUnitCursor", "clang_visitChildren", "clang_getCursorKind", "clang_getCursorSpelling",
      "clang_getCursorType", "clang_getCursorLocation", "clang_getTypedefDeclUnderlyingType",
      "clang_getEnumDeclIntegerType", "clang_getCanonicalType", "clang_getTypeSpelling",
      "clang_getTypeDeclaration", "clang_Type_getSizeOf", "clang_Type_getAlignOf", "clang_Type_visitFields",
      "clang_Cursor_getOffsetOfField", "clang_Cursor_isBitField", "clang_getFieldDeclBitWidth",
      "clang_getArrayElementType", "clang_getArraySize", "clang_getPointeeType",
  };
  _Static_assert(sizeof(names) / sizeof(names[0]) * sizeof(void (*)(void)) == sizeof(HurdIDLLibClang),
                 "one symbol name per HurdIDLLibClang entry");
  void (**slots)(void) = (void (**)(void))api;
  for (size_t index = 0; index < sizeof(names) / sizeof(names[0]); index++) {
    void *symbol = dlsym(handle, names[index]);
    if (symbol == NULL) {
      snprintf(error, errorCapacity, "%s does not export %s", path, names[index]);
      dlclose(handle);
      return 1;
    }
    memcpy(&slots[index], &symbol, sizeof(symbol));
  }
  return 0;
}

typedef struct {
  CXCursor *items;
  unsigned count;
  unsigned capacity;
} CursorList;

static void append(CursorList *list, CXCursor cursor) {
  if (list->count == list->capacity) {
    unsigned capacity = list->capacity ? list->capacity * 2 : 64;
    CXCursor *items = realloc(list->items, capacity * sizeof(CXCursor));
    if (items == NULL) abort();
    list->items = items;
    list->capacity = capacity;
  }
  list->items[list->count++] = cursor;
}

static int visitChild(CXCursor cursor, CXCursor parent, void *data) {
  (void)parent;
  append(data, cursor);
  return 1;  // CXChildVisit_Continue: direct children only
}

static int visitField(CXCursor cursor, void *data) {
  append(data, cursor);
  return 1;  // CXVisit_Continue
}

CXCursor *hurdidl_libclang_children(const HurdIDLLibClang *api, CXCursor parent, unsigned *count) {
  CursorList list = {0};
  api->visitChildren(parent, visitChild, &list);
  *count = list.count;
  return list.items;
}

CXCursor *hurdidl_libclang_fields(const HurdIDLLibClang *api, CXType record, unsigned *count) {
  CursorList list = {0};
  api->typeVisitFields(record, visitField, &list);
  *count = list.count;
  return list.items;
}
