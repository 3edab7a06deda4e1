import Foundation
import HurdIDLPreprocessor
import HurdIDLSource
import HurdIDLSyntax
import Testing

/// Expected parser outcome of each MIG experiment in `Inputs/semantics` (copied from the
/// reference experiments): the error codes the *parser* reports. Empty = parses cleanly (its
/// problems, if any, are semantic).
enum ExperimentExpectations {
  static let parserErrors: [String: [DiagnosticCode]] = [
    "obs.defs": [.historicConstruct, .historicConstruct, .historicConstruct, .historicConstruct],
    "kw.defs": [.reservedWord],
    "kw2.defs": [.reservedWord],
    "il2.defs": [.anonymousInlineType],
    "g1.defs": [.trailingSemicolon],
    "w1.defs": [.missingSemicolon],
    "w3.defs": [.expectedToken],
    "w4.defs": [.expectedToken],
  ]
  /// Experiments about the preprocessor itself (a missing include), not the parser.
  static let preprocessorFailures: Set<String> = ["mi.defs", "mi2.defs"]
}

@Suite struct RoundTripTests {
  static func experiments() -> [URL] {
    TestPaths.files(in: TestPaths.inputs.appendingPathComponent("semantics"))
  }

  private func checkRoundTrip(_ file: DefsFile, _ name: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let trip = roundTrip(file)
    #expect(trip.reparseDiagnostics.filter { $0.severity == .error }.isEmpty, "\(name): printed text does not parse:\n\(trip.text)", sourceLocation: sourceLocation)
    #expect(trip.original == trip.reparsed, "\(name): round trip changed the tree:\n\(trip.text)", sourceLocation: sourceLocation)
    // Printing is canonical: printing the re-parsed tree gives the same text.
    #expect(DefsPrinter().print(trip.reparsed) == trip.text, sourceLocation: sourceLocation)
  }

  /// Every experiment, preprocessed (`#include <mach/std_types.defs>` from gnumach-dev): the
  /// parser reports exactly the expected errors, and what it parsed round-trips.
  @Test(arguments: experiments())
  func experimentParsesAsExpectedAndRoundTrips(_ url: URL) throws {
    let name = url.lastPathComponent
    try #require(
      FileManager.default.fileExists(atPath: TestPaths.gnuMachIncludes + "/mach/std_types.defs"),
      Comment(rawValue: GNUMachTests.missingFilesMessage))
    let parsed = preprocessAndParse(file: url)
    let preprocessorErrors = parsed.errors.filter { !Self.parserCodes.contains($0.code) }
    if ExperimentExpectations.preprocessorFailures.contains(name) {
      #expect(preprocessorErrors.map(\.code) == [.missingInclude], "\(parsed.summary)")
    } else {
      #expect(preprocessorErrors.isEmpty, "\(parsed.summary)")
    }
    let parserErrors = parsed.errors.filter { Self.parserCodes.contains($0.code) }
    #expect(parserErrors.map(\.code) == ExperimentExpectations.parserErrors[name, default: []], "\(parsed.summary)")
    checkRoundTrip(parsed.file, name)
  }

  /// The codes the lexer and parser emit.
  static let parserCodes: Set<DiagnosticCode> = [
    .illegalCharacter, .unexpectedLiteral, .numberTooLarge, .invalidNumber, .unterminatedFileName, .expectedToken,
    .expectedStatement, .missingSemicolon, .reservedWord, .unknownFlag, .trailingSemicolon, .emptyStruct,
    .anonymousInlineType, .nestingTooDeep, .appleMIGExtension, .historicConstruct,
  ]

  @Test(arguments: Samples.all.map(\.name))
  func sampleRoundTrips(_ name: String) {
    let text = Samples.all.first { $0.name == name }!.text
    let parsed = parseText(text)
    #expect(parsed.errors.isEmpty)
    checkRoundTrip(parsed.file, name)
  }

  @Test func printerOutputIsCanonical() {
    let parsed = parseText(
      """
      SUBSYSTEM KernelServer k 0x10 ; ServerPrefix S_;
      TYPE t = ARRAY [ * : (1+2) * 3 ] OF int CTYPE : t_t DESTRUCTOR:f(t_t) ;
      routine r ( server:port ; IN x : y = struct{int a;} , Dealloc [ ] ; out z: zz = ^ c_string[*:4] , notdealloc) ; skip 2;
      simpleroutine s(); import < a / b.h >; waittime -1; nowaittime; rcsid "r";;
      """)
    #expect(parsed.errors.isEmpty, "\(parsed.summary)")
    #expect(
      DefsPrinter().print(parsed.file) == """
        subsystem KernelServer k 16;
        serverprefix S_;
        type t = array[*:(1 + 2) * 3] of int
        \tctype: t_t
        \tdestructor: f(t_t);
        routine r(
        \tserver: port;
        \tin x: y = struct { int a; }, dealloc[];
        \tout z: zz = ^c_string[*:4], notdealloc);
        skip 2;
        simpleroutine s();
        import < a / b.h >;
        waittime -1;
        nowaittime;
        rcsid "r";
        ;

        """)
  }

  @Test func handBuiltExpressionsGetParentheses() {
    func n(_ value: UInt32) -> IntExpr { IntExpr(kind: .number(value), range: .stripped) }
    let sum = IntExpr(kind: .binary(.add, n(1), n(2)), range: .stripped)
    let difference = IntExpr(kind: .binary(.subtract, n(3), n(4)), range: .stripped)
    #expect(DefsPrinter().print(IntExpr(kind: .binary(.multiply, sum, n(3)), range: .stripped)) == "(1 + 2) * 3")
    #expect(DefsPrinter().print(IntExpr(kind: .binary(.subtract, n(9), difference), range: .stripped)) == "9 - (3 - 4)")
    #expect(DefsPrinter().print(IntExpr(kind: .binary(.subtract, difference, n(9)), range: .stripped)) == "3 - 4 - 9")
  }
}
