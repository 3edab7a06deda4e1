import HurdIDLSource

extension PreprocessedUnit {
  /// `cpp -E`-like text: tokens on the lines where the user wrote them (macro output on the
  /// invocation's line), a space where the source had one or where two tokens would otherwise
  /// run together, and optionally GCC line markers (`# N "file" [1|2]`) where the file changes
  /// or the line jumps by more than eight. Re-tokenizing the text gives back ``tokens``.
  public func render(lineMarkers: Bool) -> String {
    var out = ""
    out.reserveCapacity(tokens.count * 6)
    var currentBuffer: BufferID?
    var currentLine: Int32 = 0
    var previous: PPToken?

    func marker(_ line: Int32, _ buffer: BufferID, flag: String) -> String {
      "# \(line) \(Self.quote(sourceMap[buffer].path))\(flag)\n"
    }

    for token in tokens {
      let user = sourceMap.userLocation(token.location)
      if user.buffer != currentBuffer {
        if previous != nil { out += "\n" }
        if lineMarkers {
          var flag = ""
          if let old = currentBuffer {
            if sourceMap[user.buffer].includedFrom?.buffer == old {
              flag = " 1"
            } else if sourceMap[old].includedFrom?.buffer == user.buffer {
              flag = " 2"
            }
          }
          out += marker(user.line, user.buffer, flag: flag)
        }
        currentBuffer = user.buffer
        currentLine = user.line
        previous = nil
      } else if user.line != currentLine, token.location.expansion == nil || user.line > currentLine {
        let gap = Int(user.line) - Int(currentLine)
        if !lineMarkers {
          out += "\n"
        } else if gap > 0, gap <= 8 {
          out += String(repeating: "\n", count: gap)
        } else {
          out += "\n" + marker(user.line, user.buffer, flag: "")
        }
        currentLine = user.line
        previous = nil
      }
      if let previous {
        if token.hasLeadingSpace || Self.needsSpace(between: previous, and: token) { out += " " }
      } else if token.hasLeadingSpace {
        out += " "
      }
      out += token.text
      previous = token
    }
    if previous != nil { out += "\n" }
    return out
  }

  static func quote(_ path: String) -> String {
    var text = "\""
    for character in path {
      if character == "\"" || character == "\\" { text.append("\\") }
      text.append(character)
    }
    return text + "\""
  }

  /// True when writing `right` directly after `left` would tokenize differently.
  static func needsSpace(between left: PPToken, and right: PPToken) -> Bool {
    if left.kind == .other || right.kind == .other { return true }
    let wordLike: (PPToken.Kind) -> Bool = { $0 == .identifier || $0 == .number }
    if wordLike(left.kind), wordLike(right.kind) { return true }
    guard let first = right.text.utf8.first else { return false }
    if left.kind == .number {
      // 1 .5 / 1e +5 / 0x1 .. would join the pp-number.
      return first == UInt8(ascii: ".") || first == UInt8(ascii: "+") || first == UInt8(ascii: "-")
    }
    if left.kind == .identifier {
      // L"x" and L'x' are single tokens in C.
      return right.kind == .stringLiteral || right.kind == .characterLiteral
    }
    if left.kind == .punctuator {
      if right.kind == .number, left.text == "." { return true }
      if right.kind == .punctuator {
        let joined = left.text + String(decoding: [first], as: UTF8.self)
        return punctuatorPrefixes.contains(joined)
      }
    }
    return false
  }

  /// Every prefix of a punctuator or comment opener longer than one character.
  private static let punctuatorPrefixes: Set<String> = {
    let spellings = [
      "...", "<<=", ">>=", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "*=", "/=", "%=",
      "+=", "-=", "&=", "^=", "|=", "##", "//", "/*",
    ]
    var prefixes: Set<String> = []
    for spelling in spellings {
      for length in 2...spelling.count { prefixes.insert(String(spelling.prefix(length))) }
    }
    return prefixes
  }()
}
