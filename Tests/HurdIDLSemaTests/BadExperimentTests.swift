import Foundation
import HurdIDLSema
import HurdIDLSource
import Testing

/// The semantic cases of reference §5 (`Fixtures/bad`, copied from the MIG experiments): each
/// gets exactly the diagnostics listed here (one clear error, no cascade) and its rendered
/// diagnostics are pinned in `Goldens/diagnostics/bad/<name>.txt`.
///
/// Regenerate the goldens with `HURDIDL_UPDATE_GOLDENS=1 swift test --filter HurdIDLSemaTests`.
@Suite struct BadExperimentTests {
  static let expected: [String: [DiagnosticCode]] = [
    "b02_unknown_type.defs": [.unknownType],
    "b03_dup_routine.defs": [.duplicateRoutine],
    "b04_array_too_complex.defs": [.typeTooComplicated],
    "b05_arg_after_replyport.defs": [],
    "b06_type_before_subsystem.defs": [.declarationBeforeSubsystem],
    "b07_no_subsystem.defs": [.noSubsystem],
    "b08_no_request_port.defs": [.missingRequestPort],
    "b09_simple_out.defs": [.simpleRoutineOutArgument],
    "b10_dup_type.defs": [.typeRedefinition],
    "b11_inout_vararray.defs": [.inoutVariableArray],
    "b14_strange_size.defs": [.strangeIPCSize],
    "b15_ipc_size_mismatch.defs": [.ipcSizeMismatch],
    "b16_bad_request_port.defs": [.improperRequestPort],
    "b17_bad_waittime.defs": [.improperIntegerArgument],
    "b18_dup_subsystem.defs": [.duplicateSubsystem],
    "b19_translate_vararray.defs": [.translatedVariableArray],
    "b20_div_zero.defs": [.divisionByZero],
    "b23_empty.defs": [.noSubsystem],
    "b26_zero_array.defs": [.zeroSizedArray],
    "b28_ool_vararray.defs": [.typeTooComplicated],
    "b29_double_ool.defs": [.typeTooComplicated],
    "b30_dealloc_inline.defs": [.deallocOnInlineData],
    "b32_dup_arg_name.defs": [.duplicateArgument],
    "b33_two_request_ports.defs": [.multipleSpecialArguments],
    "b34_poly_return.defs": [],
    "b35_cstring_var_inout.defs": [.inoutVariableArray],
    "b38_servercopy_meaningless.defs": [.serverCopyMeaningless],
    "b39_huge_subsys.defs": [.messageIDOverflow, .messageIDCollision],
  ]

  @Test func everySemanticExperimentIsCovered() {
    #expect(Set(Paths.defsFiles(in: "bad")) == Set(Self.expected.keys))
  }

  @Test(arguments: expected.keys.sorted())
  func diagnosticsMatch(_ name: String) throws {
    try #require(Paths.hasGNUMach, Paths.missingGNUMach)
    let checked = checkFixture("bad/" + name)
    #expect(checked.codes == Self.expected[name], "\(checked.summary)")
    #expect(checked.front.diagnostics.isEmpty, "the front end accepts every semantic case")
    // Errors and only errors withhold the model.
    #expect((checked.interface == nil) == !checked.errors.isEmpty)
    expectGolden(checked.rendered, "diagnostics/bad/" + name.replacingOccurrences(of: ".defs", with: ".txt"))
  }
}
