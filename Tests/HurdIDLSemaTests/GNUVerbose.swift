import Foundation
import HurdIDLSema

/// Prints the checked model the way GNU MIG's `-v` option prints its types and routines
/// (`itPrintDecl`, `rtPrintRoutine`), so the oracle test can compare them line by line.
enum GNUVerbose {
  static func type(_ t: ResolvedType) -> String {
    let name = t.name ?? "(null)"
    var line = "Type \(name) = "
    if !t.isInline { line += "^ " }
    if t.isVariable {
      line += t.number == 0 || t.isIndefinite ? "array [] of " : "array [*:\(Int32(bitPattern: t.number))] of "
    } else if t.copySemantics == .assignment && (t.number != 1 || t.inName.value == 12) {
      line += "struct [\(Int32(bitPattern: t.number))] of "
    } else if t.number != 1 {
      line += "array [\(Int32(bitPattern: t.number))] of "
    }
    if t.inName.spelling == t.outName.spelling {
      line += "(\(t.inName.spelling),"
    } else {
      line += "(\(t.inName.spelling)|\(t.outName.spelling)"
    }
    let dealloc =
      switch t.deallocate {
      case .yes: ", Dealloc"
      case .maybe: ", Dealloc[]"
      case .no: ""
      }
    line += " \(Int32(bitPattern: t.sizeInBits))\(t.isLongForm ? ", IsLong" : "")\(dealloc))"
    var lines = [line]
    let server = t.cServerType ?? "(null)"
    let trans = t.cTransType ?? "(null)"
    if t.cUserType != t.name { lines.append("\tCUserType:\t\(t.cUserType ?? "(null)")") }
    if t.cServerType != t.name { lines.append("\tCServerType:\t\(server)") }
    if let f = t.inTran { lines.append("\tInTran:\t\t\(trans) \(f)(\(server))") }
    if let f = t.inTranPayload { lines.append("\tInTranPayload:\t\t\(trans) \(f)") }
    if let f = t.outTran { lines.append("\tOutTran:\t\(server) \(f)(\(trans))") }
    if let f = t.destructor { lines.append("\tDestructor:\t\(f)(\(trans))") }
    return lines.joined(separator: "\n")
  }

  static func routine(_ r: CheckedRoutine) -> String {
    var text = "\(r.kind == .routine ? "Routine" : "SimpleRoutine") (\(r.index)) \(r.name)("
    for argument in r.arguments {
      guard !argument.traits.isDisjoint(with: [.userArgument, .serverArgument]),
        argument.kind != .count, argument.kind != .poly
      else { continue }
      text += "\n\t"
      switch argument.kind {
      case .requestPort: text += "RequestPort"
      case .replyPort, .userReplyPort, .serverReplyPort: text += "ReplyPort"
      case .waitTime: text += "WaitTime"
      case .msgOption: text += "MsgOption"
      case .msgSeqNo: text += "MsgSeqno\t"
      default:
        if argument.traits.contains(.request) { text += argument.traits.contains(.send) ? "In" : "(In)" }
        if argument.traits.contains(.reply) { text += argument.traits.contains(.return) ? "Out" : "(Out)" }
        text += "\t"
      }
      text += "\t\(argument.name): \(argument.type.name ?? "(null)")"
      if argument.deallocate != argument.type.deallocate {
        let flag =
          switch argument.deallocate {
          case .yes: ", Dealloc"
          case .maybe: ", Dealloc[]"
          case .no: ", NotDealloc"
          }
        text += flag
      }
      if argument.isLongForm != argument.type.isLongForm { text += argument.isLongForm ? ", IsLong" : ", IsNotLong" }
      if argument.isServerCopy { text += ", ServerCopy" }
      if argument.isCountInOut { text += ", CountInOut" }
    }
    return text + ")"
  }

  /// The `Type …` and `Routine …` blocks of GNU MIG's `-v` output (a header line and the
  /// tab-indented lines after it).
  static func blocks(_ output: String) -> [String] {
    var blocks: [String] = []
    var current: [String]?
    for line in output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
      if line.hasPrefix("Type ") || line.hasPrefix("Routine (") || line.hasPrefix("SimpleRoutine (") {
        if let current { blocks.append(current.joined(separator: "\n")) }
        current = [line]
      } else if line.hasPrefix("\t"), current != nil {
        current?.append(line)
      } else {
        if let block = current { blocks.append(block.joined(separator: "\n")) }
        current = nil
      }
    }
    if let current { blocks.append(current.joined(separator: "\n")) }
    return blocks
  }
}
