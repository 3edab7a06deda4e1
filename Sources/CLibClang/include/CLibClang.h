// The few declarations of libclang's C API (clang-c/Index.h) that hurdidl's C import calls,
// written out here so building hurdidl needs neither libclang's headers nor the library:
// libclang is loaded at run time (dlopen) by hurdidl_libclang_load. The struct layouts are
// libclang's stable C ABI (unchanged since libclang 3.x); enums are passed as plain ints.
#ifndef HURDIDL_CLIBCLANG_H
#define HURDIDL_CLIBCLANG_H

#include <stddef.h>

typedef void *CXIndex;
typedef struct CXTranslationUnitImpl *CXTranslationUnit;
typedef void *CXDiagnostic;
typedef void *CXFile;

typedef struct {
  const void *data;
  unsigned private_flags;
} CXString;

typedef struct {
  const void *ptr_data[2];
  unsigned int_data;
} CXSourceLocation;

typedef struct {
  int kind;
  int xdata;
  const void *data[3];
} CXCursor;

typedef struct {
  int kind;
  void *data[2];
} CXType;

struct CXUnsavedFile {
  const char *Filename;
  const char *Contents;
  unsigned long Length;
};

/// The libclang entry points hurdidl uses; every one is resolved when the library loads.
typedef struct {
  CXString (*getClangVersion)(void);
  const char *(*getCString)(CXString);
  void (*disposeString)(CXString);
  CXIndex (*createIndex)(int excludeDeclarationsFromPCH, int displayDiagnostics);
  void (*disposeIndex)(CXIndex);
  int (*parseTranslationUnit2)(CXIndex, const char *sourceFile, const char *const *arguments, int argumentCount,
                               struct CXUnsavedFile *unsavedFiles, unsigned unsavedFileCount, unsigned options,
                               CXTranslationUnit *result);
  void (*disposeTranslationUnit)(CXTranslationUnit);
  unsigned (*getNumDiagnostics)(CXTranslationUnit);
  CXDiagnostic (*getDiagnostic)(CXTranslationUnit, unsigned index);
  void (*disposeDiagnostic)(CXDiagnostic);
  int (*getDiagnosticSeverity)(CXDiagnostic);
  CXString (*getDiagnosticSpelling)(CXDiagnostic);
  CXSourceLocation (*getDiagnosticLocation)(CXDiagnostic);
  void (*getPresumedLocation)(CXSourceLocation, CXString *fileName, unsigned *line, unsigned *column);
  CXCursor (*getTranslationUnitCursor)(CXTranslationUnit);
  unsigned (*visitChildren)(CXCursor parent, int (*visitor)(CXCursor, CXCursor, void *), void *clientData);
  int (*getCursorKind)(CXCursor);
  CXString (*getCursorSpelling)(CXCursor);
  CXType (*getCursorType)(CXCursor);
  CXSourceLocation (*getCursorLocation)(CXCursor);
  CXType (*getTypedefDeclUnderlyingType)(CXCursor);
  CXType (*getEnumDeclIntegerType)(CXCursor);
  CXType (*getCanonicalType)(CXType);
  CXString (*getTypeSpelling)(CXType);
  CXCursor (*getTypeDeclaration)(CXType);
  long long (*typeGetSizeOf)(CXType);
  long long (*typeGetAlignOf)(CXType);
  unsigned (*typeVisitFields)(CXType, int (*visitor)(CXCursor, void *), void *clientData);
  long long (*cursorGetOffsetOfField)(CXCursor);
  unsigned (*cursorIsBitField)(CXCursor);
  int (*getFieldDeclBitWidth)(CXCursor);
  CXType (*getArrayElementType)(CXType);
  long long (*getArraySize)(CXType);
  CXType (*getPointeeType)(CXType);
} HurdIDLLibClang;

/// Opens the library at `path` and resolves every entry point into `api`. Returns 0 on success;
/// otherwise fills `error` (at most `errorCapacity` bytes, NUL-terminated) with dlerror's text or
/// the name of the missing symbol, and closes the library again.
int hurdidl_libclang_load(const char *path, HurdIDLLibClang *api, char *error, size_t errorCapacity);

/// The cursors directly inside `parent`, in order, in a malloc'd array the caller frees.
CXCursor *hurdidl_libclang_children(const HurdIDLLibClang *api, CXCursor parent, unsigned *count);

/// The field declarations of a record type, in order, in a malloc'd array the caller frees.
CXCursor *hurdidl_libclang_fields(const HurdIDLLibClang *api, CXType record, unsigned *count);

#endif
