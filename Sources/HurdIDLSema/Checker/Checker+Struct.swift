import HurdIDLSource
import HurdIDLSyntax

extension Checker {
  // MARK: struct { … }

  /// GNU's `struct { T f; … }`: members laid out with GNU's alignments, then the type becomes
  /// `struct[k] of E` (E = INTEGER_16 for alignment 2, INTEGER_32 for 4, bytes otherwise).
  mutating func structureDecl(_ members: [HurdIDLSyntax.StructMember], declaring name: String, at range: SourceRange)
    -> TypeInfo?
  {
    var laidOut: [StructLayoutMember] = []
    var offset: UInt64 = 0
    var cOffset: UInt64 = 0
    var alignment: UInt32 = 1
    var cAlignment: UInt32 = 1
    var failed = false
    var seenFields: [String: SourceRange] = [:]
    for member in members {
      if let previous = seenFields[member.name.name] {
        diagnostics.error(
          .duplicateArgument, "struct type '\(name)' has two members named '\(member.name.name)'",
          at: member.name.range.start, notes: [.init("the first one is here", at: previous.start)])
        failed = true
      }
      seenFields[member.name.name] = member.name.range
      guard let info = lookUp(member.type) else {
        failed = true
        continue
      }
      if !info.type.isInline || info.type.isVariable {
        diagnostics.error(
          .structMemberNotInline,
          "member '\(member.name.name)' of struct type '\(name)' has type '\(member.type.name)', which is "
            + (info.type.isInline ? "variable-sized" : "out of line") + "; struct members must be fixed-size inline types",
          at: member.type.range.start)
        failed = true
        continue
      }
      let size = UInt64(info.type.typeSizeInBytes)
      let align = UInt64(max(1, info.alignment))
      let cAlign = UInt64(max(1, info.cAlignment))
      offset = (offset + align - 1) / align * align
      cOffset = (cOffset + cAlign - 1) / cAlign * cAlign
      laidOut.append(
        StructLayoutMember(
          name: member.name.name, typeName: member.type.name, offsetInBytes: UInt32(truncatingIfNeeded: offset),
          sizeInBytes: info.type.typeSizeInBytes, alignmentInBytes: UInt32(align),
          cAlignmentInBytes: UInt32(cAlign), range: member.range))
      offset += size
      cOffset += size
      alignment = max(alignment, UInt32(align))
      cAlignment = max(cAlignment, UInt32(cAlign))
    }
    if failed { return nil }
    let total = (offset + UInt64(alignment) - 1) / UInt64(alignment) * UInt64(alignment)
    let cTotal = (cOffset + UInt64(cAlignment) - 1) / UInt64(cAlignment) * UInt64(cAlignment)
    guard total > 0 else {
      diagnostics.error(.zeroSizedArray, "struct type '\(name)' has size 0", at: range.start)
      return nil
    }
    guard total <= UInt64(UInt32.max) / 8 else {
      diagnostics.error(.sizeOverflow, "struct type '\(name)' is \(total) bytes, too large", at: range.start)
      return nil
    }
    let (elementName, elementBytes): (MessageTypeName, UInt64) =
      switch alignment {
      case 2: (.integer16, 2)
      case 4: (.integer32, 4)
      default: (.byte, 1)
      }
    let element = TypeInfo.allocate(
      inName: elementName, outName: elementName, sizeInBits: UInt32(elementBytes * 8), origin: .anonymous, range: range)
    var info = element.copied(origin: .anonymous, range: range)
    info.type.number = UInt32(total / elementBytes)
    info.type.copySemantics = .assignment
    info.alignment = alignment
    info.cAlignment = cAlignment
    let differs = total != cTotal || zip(laidOut, laidOutCOffsets(laidOut)).contains { $0.offsetInBytes != $1 }
    info.type.structLayout = StructLayout(
      members: laidOut, sizeInBytes: UInt32(total), alignmentInBytes: alignment,
      cSizeInBytes: UInt32(truncatingIfNeeded: cTotal), differsFromC: differs)
    if differs && options.warnsAboutStructLayout {
      diagnostics.warning(
        .structLayoutDiffersFromC,
        "GNU MIG lays out struct type '\(name)' in \(total) bytes but C uses \(cTotal) "
          + "(GNU aligns MACH_MSG_TYPE_* members of 8 bytes to 4); the generated code's _Static_assert fails",
        at: range.start)
    }
    return finishSize(info, declaring: name, at: range)
  }

  /// The members' offsets under C's natural alignment.
  func laidOutCOffsets(_ members: [StructLayoutMember]) -> [UInt32] {
    var offset: UInt64 = 0
    var result: [UInt32] = []
    for member in members {
      let align = UInt64(member.cAlignmentInBytes)
      offset = (offset + align - 1) / align * align
      result.append(UInt32(truncatingIfNeeded: offset))
      offset += UInt64(member.sizeInBytes)
    }
    return result
  }
}
