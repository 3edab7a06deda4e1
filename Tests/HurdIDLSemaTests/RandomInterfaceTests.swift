import Foundation
import HurdIDLSema
import HurdIDLSource
import Testing

/// Differential testing against GNU MIG: random interfaces (fixed seeds) built from the grammar's
/// type forms, flags, directions and options; where both compilers accept a file, the model must
/// match GNU's `-v` printout, C prototypes, quick checks and ids exactly (``GNUOracleTests``).
@Suite struct RandomInterfaceTests {
  struct Generator {
    var random: SplitMix
    var text = ""
    /// Declared types: name, and whether it is inline, fixed-size (usable in arrays/structs).
    var fixedInline: [String] = ["int", "char", "short", "int32_t", "int64_t", "boolean_t", "natural_t", "mach_port_t"]
    var variable: [String] = []
    var outOfLine: [String] = []
    var counter = 0

    init(seed: UInt64) { random = SplitMix(seed: seed) }

    mutating func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
    mutating func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }
    mutating func number(_ range: ClosedRange<Int>) -> Int {
      range.lowerBound + Int(random.next() % UInt64(range.count))
    }
    mutating func fresh(_ prefix: String) -> String {
      counter += 1
      return "\(prefix)\(counter)"
    }

    mutating func annotations(name: String) -> String {
      var parts: [String] = []
      for _ in 0..<number(0...2) {
        switch number(0...5) {
        case 0: parts.append("ctype: \(name)_c")
        case 1: parts.append("cusertype: \(name)_u")
        case 2: parts.append("cservertype: \(name)_s")
        case 3: parts.append("intran: \(name)_t \(name)_in(\(name)_s)")
        case 4:
          parts.append(
            chance(50) ? "outtran: \(name)_s \(name)_out(\(name)_t)" : "intranpayload: \(name)_t \(name)_payload")
        default: parts.append("destructor: \(name)_free(\(name)_t)")
        }
      }
      return parts.isEmpty ? "" : " " + parts.joined(separator: " ")
    }

    mutating func typeDeclaration() {
      let name = fresh("t")
      let msgTypes = [
        "MACH_MSG_TYPE_INTEGER_8", "MACH_MSG_TYPE_INTEGER_16", "MACH_MSG_TYPE_INTEGER_32", "MACH_MSG_TYPE_INTEGER_64",
        "MACH_MSG_TYPE_CHAR", "MACH_MSG_TYPE_BYTE", "MACH_MSG_TYPE_BOOLEAN", "MACH_MSG_TYPE_COPY_SEND",
        "MACH_MSG_TYPE_MAKE_SEND", "MACH_MSG_TYPE_MOVE_SEND", "MACH_MSG_TYPE_MAKE_SEND_ONCE",
        "MACH_MSG_TYPE_MOVE_RECEIVE", "MACH_MSG_TYPE_PORT_SEND", "MACH_MSG_TYPE_PORT_NAME", "polymorphic",
        "MACH_MSG_TYPE_PORT_RECEIVE", "MACH_MSG_TYPE_PORT_SEND_ONCE", "MACH_MSG_TYPE_MOVE_SEND_ONCE",
        "MACH_MSG_TYPE_COPY_SEND | MACH_MSG_TYPE_PORT_SEND", "MACH_MSG_TYPE_MAKE_SEND | MACH_MSG_TYPE_POLYMORPHIC",
        "polymorphic | MACH_MSG_TYPE_PORT_SEND", "MACH_MSG_TYPE_INTEGER_32 | MACH_MSG_TYPE_BOOLEAN",
      ]
      switch number(0...10) {
      case 0:
        text += "type \(name) = \(pick(msgTypes))\(annotations(name: name));\n"
        fixedInline.append(name)
      case 1:
        let flags = [", islong", ", isnotlong", ", dealloc", ""]
        text += "type \(name) = (\(pick(msgTypes)), \(pick([8, 16, 32, 64])))\(pick(flags));\n"
        fixedInline.append(name)
      case 2:
        text += "type \(name) = \(pick(fixedInline + variable + outOfLine))\(annotations(name: name));\n"
        // A copy keeps the shape of what it copies; keep it simple and treat it as unknown-shaped.
      case 3:
        text += "type \(name) = array[\(number(1...5000))] of \(pick(fixedInline));\n"
        fixedInline.append(name)
      case 4:
        text += "type \(name) = array[*:\(number(1...300))] of \(pick(fixedInline));\n"
        variable.append(name)
      case 5:
        text += "type \(name) = array[] of \(pick(fixedInline));\n"
        variable.append(name)
      case 6:
        text += "type \(name) = ^array[] of \(pick(fixedInline))\(pick(["", " ctype: vm_offset_t"]));\n"
        outOfLine.append(name)
      case 7:
        text += "type \(name) = ^\(pick(fixedInline));\n"
        outOfLine.append(name)
      case 8:
        text += "type \(name) = struct[\(number(1...8))] of \(pick(fixedInline))\(annotations(name: name));\n"
        fixedInline.append(name)
      case 9:
        text += "type \(name) = c_string[\(pick(["", "*:"]))\(number(1...1024))];\n"
        variable.append(name)
      default:
        let members = (0..<number(1...4)).map { "\(pick(["int", "char", "short", "int64_t", "intptr_t"])) m\($0);" }
        text += "type \(name) = struct { \(members.joined(separator: " ")) };\n"
        fixedInline.append(name)
      }
    }

    mutating func routine() {
      let simple = chance(30)
      let name = fresh("r")
      var arguments = [pick(["server: mach_port_t", "requestport server: mach_port_t", "server: mach_port_poly_t"])]
      for _ in 0..<number(0...6) {
        let argument = fresh("a")
        let kinds = simple ? ["in"] : ["in", "out", "inout"]
        var direction = pick(kinds)
        var type = pick(fixedInline + variable + outOfLine)
        if chance(10) { type = "\(fresh("local")) = array[\(number(1...64))] of \(pick(fixedInline))" }
        if direction == "inout" && variable.contains(type) { direction = "in" }
        var flags = ""
        if chance(25) {
          flags = pick([
            ", dealloc", ", dealloc[]", ", notdealloc", ", islong", ", isnotlong", ", servercopy", ", countinout",
          ])
        }
        arguments.append("\(direction) \(argument): \(type)\(flags)")
      }
      if chance(15) { arguments.append("\(pick(simple ? ["ureplyport", "sreplyport"] : ["replyport", "ureplyport", "sreplyport"])) \(fresh("rp")): \(pick(["mach_port_make_send_once_t", "mach_port_poly_t"]))") }
      if chance(10) { arguments.append("msgseqno \(fresh("seq")): mach_port_seqno_t") }
      if chance(10) { arguments.append("waittime \(fresh("wt")): natural_t") }
      if chance(10) { arguments.append("msgoption \(fresh("mo")): natural_t") }
      text += "\(simple ? "simpleroutine" : "routine") \(name)(\(arguments.joined(separator: "; ")));\n"
    }

    mutating func interface() -> String {
      let modifiers = pick(["", "KernelUser ", "KernelServer ", "KernelUser KernelServer "])
      text = "subsystem \(modifiers)gen \(number(0...100000));\n#include <mach/std_types.defs>\n"
      for _ in 0..<number(2...10) { typeDeclaration() }
      for _ in 0..<number(1...6) {
        switch number(0...9) {
        case 0: text += "skip;\n"
        case 1: text += "skip \(number(0...5));\n"
        case 2: text += "userprefix \(fresh("u_"));\n"
        case 3: text += "serverprefix \(fresh("s_"));\n"
        case 4: text += "waittime \(number(1...1000));\n"
        case 5: text += "nowaittime;\n"
        case 6: text += "msgoption MACH_SEND_INTERRUPT;\n"
        case 7: typeDeclaration()
        default: break
        }
        routine()
      }
      return text
    }
  }

  @Test(arguments: 0..<12)
  func randomInterfacesMatchGNU(_ batch: Int) throws {
    try #require(GNUOracleTests.hasMIG, GNUOracleTests.missingMIG)
    try #require(Paths.hasGNUMach, Paths.missingGNUMach)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hurdidl-random-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    var bothAccepted = 0
    for index in 0..<25 {
      let seed = UInt64(batch * 1000 + index)
      var generator = Generator(seed: seed)
      let text = generator.interface()
      let file = folder.appendingPathComponent("gen\(seed).defs")
      try text.write(to: file, atomically: true, encoding: .utf8)
      let result = try GNUOracleTests.compare(file.path, defines: ["__x86_64__", "__LP64__"])
      if result.gnuAccepted && !result.weAccepted {
        // Only hurdidl's own checks may reject what GNU accepts (e.g. sizes GNU wraps silently).
        let errors = GNUOracleTests.checkAllTypes(file.path, defines: ["__x86_64__", "__LP64__"]).errors
        let own: Set<DiagnosticCode> = [.sizeOverflow, .negativeSize, .zeroSizedArray, .messageIDOverflow]
        #expect(errors.allSatisfy { own.contains($0.code) }, "seed \(seed): \(errors.map(\.message))\n\(text)")
      } else {
        #expect(result.gnuAccepted == result.weAccepted, "seed \(seed): GNU accepts \(result.gnuAccepted)\n\(text)")
      }
      #expect(result.mismatches.isEmpty, "seed \(seed):\n\(text)\n\(result.mismatches.prefix(3).joined(separator: "\n\n"))")
      if result.gnuAccepted && result.weAccepted { bothAccepted += 1 }
    }
    // The generator mostly produces valid interfaces, so the comparison is not vacuous.
    #expect(bothAccepted >= 10)
  }
}
