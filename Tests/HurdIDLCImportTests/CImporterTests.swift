import Foundation
import HurdIDLCImport
import HurdIDLCTypes
import Testing

/// The libclang import itself: layouts, names, positions, options, failures.
@Suite struct CImporterTests {
  static let layoutNames = [
    "point_t", "mixed_t", "either_t", "ids_t", "flags_t", "point_array_t", "color_t", "ratio_t", "flag_t", "sample_t",
    "nested_t", "wide_t", "int", "unsigned", "struct point", "nope_t", "struct nowhere", "extra_t",
  ]

  func importLayout(_ options: CImportOptions = CImportOptions()) throws -> CImportResult {
    var options = options
    options.includePaths.append(TestPaths.inputs)
    return try CImporter.run(CImportRequest(headers: ["\"layout.h\""], typeNames: Self.layoutNames, options: options))
  }

  @Test func structuresHaveTheirCLayout() throws {
    let result = try importLayout()
    #expect(result.messages.isEmpty)
    let table = result.table
    let point = try #require(table.resolve("point_t"))
    #expect(point.kind == .structure && point.size == 8 && point.alignment == 4 && point.spelling == "struct point")
    #expect(point.fields.map(\.name) == ["x", "y"] && point.fields.map(\.offset) == [0, 4])
    #expect(point.fields.map(\.type) == ["int", "int"])
    let mixed = try #require(table.resolve("mixed_t"))
    #expect(mixed.size == 24 && mixed.alignment == 8 && mixed.fields.map(\.offset) == [0, 8, 16])
    let either = try #require(table.resolve("either_t"))
    #expect(either.kind == .union && either.size == 8 && either.fields.map(\.offset) == [0, 0])
    let flags = try #require(table.resolve("flags_t"))
    #expect(flags.size == 4 && flags.fields.map(\.bitWidth) == [3, 5] && flags.fields.map(\.offsetInBits) == [0, 3])
    let sample = try #require(table.resolve("sample_t"))
    #expect(sample.fields.map(\.offset) == [0, 4, 8, 16, 22, 24] && sample.size == 32)
    #expect(table.types["unsigned char[4]"]?.count == 4)
    // `struct point` is known both by its typedef and by its tag, with one entry in `types`.
    #expect(table.names["struct point"]?.canonical == table.names["point_t"]?.canonical)
    #expect(table.names["point_t"]?.declaration == CSourcePosition(file: TestPaths.inputs + "/layout.h", line: 9, column: 3))
  }

  @Test func scalarsArraysAndPointers() throws {
    let table = try importLayout().table
    let ids = try #require(table.resolve("ids_t"))
    #expect(ids.kind == .array && ids.count == 6 && ids.element == "unsigned short" && ids.size == 12)
    #expect(table.types["unsigned short"]?.isSigned == false && table.types["unsigned short"]?.size == 2)
    let pointer = try #require(table.resolve("point_array_t"))
    #expect(pointer.kind == .pointer && pointer.size == 8 && pointer.element == "struct point")
    #expect(table.resolve("color_t")?.kind == .enumeration && table.resolve("color_t")?.size == 4)
    #expect(table.resolve("ratio_t")?.kind == .floatingPoint && table.resolve("ratio_t")?.size == 4)
    #expect(table.resolve("flag_t")?.kind == .bool && table.resolve("flag_t")?.size == 1)
    #expect(table.resolve("wide_t")?.isSigned == true && table.resolve("wide_t")?.size == 8)
    // Built-in names resolve too, with no declaration.
    #expect(table.resolve("unsigned")?.spelling == "unsigned int")
    #expect(table.names["int"]?.declaration == nil)
  }

  @Test func unknownAndIncompleteNamesAreNotFound() throws {
    let result = try importLayout()
    #expect(result.notFound == ["nope_t", "struct nowhere", "extra_t"])
    // A failing probe is no header error.
    #expect(!result.hasErrors)
  }

  @Test func definesReachTheHeaders() throws {
    let result = try importLayout(CImportOptions(defines: ["LAYOUT_EXTRA=1"]))
    #expect(result.table.resolve("extra_t")?.size == 4)
    #expect(!result.notFound.contains("extra_t"))
  }

  @Test func targetsChangeLayouts() throws {
    func pair(_ target: String) throws -> (Int?, Int?) {
      let options = CImportOptions(includePaths: [TestPaths.inputs], target: target)
      let table = try CImporter.run(CImportRequest(headers: ["\"target.h\""], typeNames: ["wide_t", "pair_t", "handle_t"], options: options)).table
      #expect(table.resolve("handle_t")?.size == (target == "i386" ? 4 : 8))
      return (table.resolve("wide_t")?.size, table.resolve("pair_t")?.size)
    }
    #expect(try pair("x86_64") == (8, 16))
    #expect(try pair("i386") == (4, 8))
    #expect(try pair("x86_64-pc-linux-gnu") == (8, 16))
  }

  @Test func headerErrorsKeepTheirPositions() throws {
    let options = CImportOptions(includePaths: [TestPaths.inputs])
    let result = try CImporter.run(
      CImportRequest(headers: ["\"broken.h\"", "<no/such/header.h>"], typeNames: ["broken_t"], options: options))
    #expect(result.hasErrors)
    let inHeader = try #require(result.messages.first { $0.headerIndex == nil })
    #expect(inHeader.position == CSourcePosition(file: TestPaths.inputs + "/broken.h", line: 3, column: 8))
    let missing = try #require(result.messages.first { $0.headerIndex != nil })
    #expect(missing.headerIndex == 1 && missing.position == nil && missing.message.contains("not found"))
  }

  @Test func preludeHeadersComeFirst() throws {
    // The prelude's types resolve beside the imported header's; a missing prelude header is named.
    let options = CImportOptions(includePaths: [TestPaths.inputs], preludeHeaders: ["\"target.h\""])
    let result = try CImporter.run(CImportRequest(headers: ["\"layout.h\""], typeNames: ["pair_t", "point_t"], options: options))
    #expect(result.table.resolve("pair_t")?.size == 16 && result.table.resolve("point_t")?.size == 8)
    let missing = try CImporter.run(
      CImportRequest(headers: ["\"layout.h\""], typeNames: ["point_t"], options: CImportOptions(includePaths: [TestPaths.inputs], preludeHeaders: ["<no/prelude.h>"])))
    let message = try #require(missing.messages.first)
    #expect(message.headerIndex == nil && message.position == nil)
    #expect(message.message.hasPrefix("cannot include prelude header <no/prelude.h>: "))
  }

  @Test func namesThatCouldChangeTheProbeAreRefused() throws {
    let result = try CImporter.run(CImportRequest(headers: [], typeNames: ["int; int x", "int", "a\nb", "nope_t", "short"]))
    #expect(result.notFound == ["int; int x", "a\nb", "nope_t"])
    #expect(result.table.resolve("int")?.size == 4 && result.table.resolve("short")?.size == 2)
    // A failing probe after a refused name is still attributed to its own name, not reported.
    #expect(result.messages.isEmpty)
  }

  @Test func hiddenLibclangSaysWhatToInstall() {
    do {
      _ = try CImporter.run(CImportRequest(headers: [], typeNames: ["int"]), environment: ["HURDIDL_LIBCLANG": "none"])
      Issue.record("the import ran without libclang")
    } catch {
      #expect(error.description.contains("install libclang-dev"))
      #expect(error.description.contains("HURDIDL_LIBCLANG=none"))
    }
    do {
      _ = try CImporter.run(
        CImportRequest(headers: [], typeNames: ["int"]), environment: ["HURDIDL_LIBCLANG": "/nonexistent/libclang.so"])
      Issue.record("the import ran with a libclang that does not exist")
    } catch {
      #expect(error.description.contains("cannot load libclang from /nonexistent/libclang.so"))
      #expect(error.description.contains("install libclang-dev"))
    }
  }
}
