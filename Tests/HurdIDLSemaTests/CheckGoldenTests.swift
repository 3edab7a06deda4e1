import Foundation
import HurdIDLSema
import HurdIDLSource
import Testing

/// Every sema check, GNU's and hurdidl's own, on the inputs in `Fixtures/checks`: the codes in
/// order, and the rendered diagnostics pinned in `Goldens/diagnostics/checks/<name>.txt`.
///
/// Regenerate the goldens with `HURDIDL_UPDATE_GOLDENS=1 swift test --filter HurdIDLSemaTests`.
@Suite struct CheckGoldenTests {
  static let expected: [String: [DiagnosticCode]] = [
    "c01_sizes.defs": [
      .negativeSize, .sizeOverflow, .sizeOverflow, .sizeOverflow, .sizeOverflow, .zeroSizedArray, .zeroSizedArray,
      .zeroSizedArray, .divisionByZero,
    ],
    "c02_ipc_types.defs": [
      .needsLongForm, .needsLongForm, .strangeIPCSize, .tooBigForLongForm, .sizeNotByteMultiple, .zeroSizeType,
      .conflictingFlags, .redundantFlag, .unneededIsLong, .tooBigForIsNotLong,
    ],
    "c03_complicated.defs": [
      .typeTooComplicated, .variableArrayNeedsNamedElement, .variableArrayNeedsNamedElement, .destroyedVariableArray,
      .structMemberNotInline, .unknownType, .structMemberNotInline, .duplicateArgument, .typeRedefinition,
    ],
    "c04_flags.defs": [
      .conflictingFlags, .conflictingFlags, .conflictingFlags, .redundantFlag, .unneededIsLong, .countInOutMeaningless,
      .countInOutMeaningless, .onlyDeallocIsVariable, .noEffect, .redundantFlag, .redundantFlag, .serverCopyMeaningless,
    ],
    "c05_routines.defs": [
      .duplicateSubsystemModifier, .noEffect, .conflictingCType, .improperReplyPort, .improperIntegerArgument,
      .improperIntegerArgument, .duplicateArgument, .missingTranslation, .missingTranslation, .multipleSpecialArguments,
    ],
    "c06_order.defs": [.declarationBeforeSubsystem, .duplicateSubsystem, .duplicateSubsystem],
    "c07_id_range.defs": [.messageIDRangeTooLarge],
  ]

  @Test func everyFixtureIsListed() {
    #expect(Set(Paths.defsFiles(in: "checks")) == Set(Self.expected.keys))
  }

  @Test(arguments: expected.keys.sorted())
  func diagnosticsMatch(_ name: String) throws {
    try #require(Paths.hasGNUMach, Paths.missingGNUMach)
    let checked = checkFixture("checks/" + name)
    #expect(checked.codes == Self.expected[name], "\(checked.summary)")
    #expect(checked.front.diagnostics.isEmpty)
    expectGolden(checked.rendered, "diagnostics/checks/" + name.replacingOccurrences(of: ".defs", with: ".txt"))
  }
}
