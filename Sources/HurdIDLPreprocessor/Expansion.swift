import HurdIDLSource

extension Engine {
  /// The next fully macro-expanded token, or `nil` at the end of the input (or of the isolated
  /// token list being expanded).
  mutating func nextExpanded(crossingFiles: Bool = false) -> FlowToken? {
    while true {
      guard var flow = readRaw(crossingFiles: crossingFiles) else { return nil }
      guard flow.token.kind == .identifier, !flow.isPainted else { return flow }
      let name = flow.token.text
      if evaluatingCondition, name == "defined" { return evaluateDefined(flow) }
      guard let macro = macros[name] else {
        if let builtin = builtinExpansion(flow) { return builtin }
        return flow
      }
      if disabled.contains(name) {
        flow.isPainted = true
        if !reportedRecursion.contains(name) {
          reportedRecursion.insert(name)
          warning(
            .recursiveMacro, "macro '\(name)' is used inside its own expansion; it is not expanded again there",
            at: flow.token.location)
        }
        return flow
      }
      if expansionCount >= options.maxMacroExpansions {
        if !reportedExpansionLimit {
          reportedExpansionLimit = true
          error(
            .macroExpansionLimit,
            "more than \(options.maxMacroExpansions) macro expansions; no further macros are expanded",
            at: flow.token.location)
        }
        flow.isPainted = true
        return flow
      }
      if macro.isFunctionLike {
        guard nextIsOpenParenthesis() else { return flow }
        _ = readRaw(crossingFiles: false)  // the '('
        guard let arguments = collectArguments(of: macro, invokedBy: flow.token) else { continue }
        enter(
          macro, invokedBy: flow.token, arguments: arguments,
          variadicOmitted: macro.isVariadic && arguments.count == macro.parameters.count - 1)
      } else {
        enter(macro, invokedBy: flow.token, arguments: [])
      }
    }
  }

  /// Expands a token list on its own (macro arguments, `#if` and `#include` operands): reading
  /// stops at the end of the list instead of continuing into the file.
  mutating func expandIsolated(_ tokens: [FlowToken]) -> [FlowToken] {
    // Each nesting level is a recursive call; hostile input must not exhaust the stack.
    if floors.count >= Self.maxArgumentNesting {
      if !reportedArgumentNesting {
        reportedArgumentNesting = true
        error(
          .macroExpansionLimit,
          "macro arguments nested more than \(Self.maxArgumentNesting) deep; the inner ones are not expanded",
          at: tokens.first?.token.location)
      }
      return tokens.map { flow in
        var painted = flow
        painted.isPainted = true
        return painted
      }
    }
    floors.append(contexts.count)
    contexts.append(Context(tokens: tokens))
    var result: [FlowToken] = []
    result.reserveCapacity(tokens.count)
    while let token = nextExpanded() { result.append(token) }
    floors.removeLast()
    return result
  }

  // MARK: Invocation

  /// Reads the arguments after the `(`; `nil` (after an error) if they are malformed.
  mutating func collectArguments(of macro: Macro, invokedBy name: PPToken) -> [[FlowToken]]? {
    var arguments: [[FlowToken]] = [[]]
    var depth = 0
    while true {
      guard var flow = readRaw(crossingFiles: false) else {
        error(
          .unterminatedMacroCall, "unterminated argument list invoking macro '\(macro.name)'", at: name.location)
        return nil
      }
      if flow.token.kind == .punctuator {
        switch flow.token.text {
        case "(":
          depth += 1
        case ")":
          if depth == 0 { return checkArgumentCount(arguments, of: macro, invokedBy: name) }
          depth -= 1
        case "," where depth == 0 && !(macro.isVariadic && arguments.count == macro.parameters.count):
          arguments.append([])
          continue
        default:
          break
        }
      } else if flow.token.kind == .identifier, !flow.isPainted, disabled.contains(flow.token.text),
        macros[flow.token.text] != nil
      {
        // GCC paints names of disabled macros as the arguments are read.
        flow.isPainted = true
      }
      arguments[arguments.count - 1].append(flow)
    }
  }

  private mutating func checkArgumentCount(_ collected: [[FlowToken]], of macro: Macro, invokedBy name: PPToken)
    -> [[FlowToken]]?
  {
    let arguments = collected
    let expected = macro.parameters.count
    if expected == 0, arguments.count == 1, arguments[0].isEmpty { return [] }
    if arguments.count == expected - 1, macro.isVariadic {
      return arguments  // the variable arguments may be left out entirely
    }
    if arguments.count < expected {
      error(
        .macroArgumentCount,
        "macro '\(macro.name)' requires \(expected) argument\(expected == 1 ? "" : "s"), but only \(arguments.count) given",
        at: name.location, notes: [.init("macro '\(macro.name)' defined here", at: macro.location)])
      return nil
    }
    if arguments.count > expected {
      error(
        .macroArgumentCount,
        "macro '\(macro.name)' passed \(arguments.count) arguments, but takes just \(expected)",
        at: name.location, notes: [.init("macro '\(macro.name)' defined here", at: macro.location)])
      return nil
    }
    return arguments
  }

  /// One element of a replacement list after argument substitution, before `##` is applied.
  private struct Piece {
    var flow: FlowToken
    var pastesWithNext: Bool
    var isPlacemarker = false
  }

  /// Substitutes the arguments, pastes, and pushes the result as a new context in which the
  /// macro is disabled.
  mutating func enter(
    _ macro: Macro, invokedBy name: PPToken, arguments collected: [[FlowToken]], variadicOmitted: Bool = false
  ) {
    var arguments = collected
    if variadicOmitted { arguments.append([]) }
    expansionCount += 1
    let expansion = sourceMap.addExpansion(
      MacroExpansion(macroName: macro.name, site: name.location, definition: macro.location))
    var expandedArguments: [[FlowToken]?] = Array(repeating: nil, count: arguments.count)
    var pieces: [Piece] = []
    pieces.reserveCapacity(macro.body.count)
    let variadicIndex = macro.isVariadic ? macro.parameters.count - 1 : -1

    func fromBody(_ element: BodyToken) -> PPToken {
      var token = element.token
      token.location.expansion = expansion
      token.isAtStartOfLine = false
      return token
    }

    for (index, element) in macro.body.enumerated() {
      guard element.parameter >= 0 else {
        // GNU `, ## __VA_ARGS__`: when the variable arguments are left out entirely the comma
        // disappears (in GCC's -ansi mode only if there are named parameters too); otherwise
        // nothing is pasted.
        if element.pastesWithNext, element.token.kind == .punctuator, element.token.text == ",",
          index + 1 < macro.body.count, macro.body[index + 1].parameter == variadicIndex,
          variadicIndex >= 0, !macro.body[index + 1].stringizes
        {
          if variadicOmitted, macro.parameters.count > 1 {
            continue
          } else if arguments[variadicIndex].isEmpty {
            pieces.append(Piece(flow: FlowToken(fromBody(element)), pastesWithNext: true))
          } else {
            pieces.append(Piece(flow: FlowToken(fromBody(element)), pastesWithNext: false))
          }
          continue
        }
        pieces.append(Piece(flow: FlowToken(fromBody(element)), pastesWithNext: element.pastesWithNext))
        continue
      }
      let argument = arguments[element.parameter]
      if element.stringizes {
        var token = Self.stringize(argument, at: element.token.location)
        token.location.expansion = expansion
        token.hasLeadingSpace = element.token.hasLeadingSpace
        pieces.append(Piece(flow: FlowToken(token), pastesWithNext: element.pastesWithNext))
        continue
      }
      let pastedFromLeft = index > 0 && macro.body[index - 1].pastesWithNext
      if element.pastesWithNext || pastedFromLeft {
        // Operands of `##` are substituted unexpanded.
        if argument.isEmpty {
          pieces.append(
            Piece(flow: FlowToken(element.token), pastesWithNext: element.pastesWithNext, isPlacemarker: true))
        } else {
          for (offset, flow) in argument.enumerated() {
            var copy = flow
            if offset == 0 { copy.token.hasLeadingSpace = element.token.hasLeadingSpace }
            pieces.append(Piece(flow: copy, pastesWithNext: offset == argument.count - 1 && element.pastesWithNext))
          }
        }
        continue
      }
      if expandedArguments[element.parameter] == nil {
        expandedArguments[element.parameter] = expandIsolated(argument)
      }
      let expanded = expandedArguments[element.parameter]!
      guard withinTokenBudget(adding: pieces.count + expanded.count, at: name) else { return }
      for (offset, flow) in expanded.enumerated() {
        var copy = flow
        if offset == 0 { copy.token.hasLeadingSpace = element.token.hasLeadingSpace }
        pieces.append(Piece(flow: copy, pastesWithNext: false))
      }
    }
    guard withinTokenBudget(adding: pieces.count, at: name) else { return }
    expandedTokenCount += pieces.count

    var result: [FlowToken] = []
    result.reserveCapacity(pieces.count)
    var index = 0
    while index < pieces.count {
      var current = pieces[index]
      index += 1
      while current.pastesWithNext, index < pieces.count {
        let right = pieces[index]
        index += 1
        if current.isPlacemarker {
          current = right
        } else if right.isPlacemarker {
          current.pastesWithNext = right.pastesWithNext
        } else if let pasted = paste(current.flow.token, right.flow.token, in: expansion) {
          current = Piece(flow: FlowToken(pasted), pastesWithNext: right.pastesWithNext)
        } else {
          result.append(current.flow)
          current = right
        }
      }
      if !current.isPlacemarker { result.append(current.flow) }
    }
    if !result.isEmpty {
      result[0].token.hasLeadingSpace = name.hasLeadingSpace
      result[0].token.isAtStartOfLine = name.isAtStartOfLine
    }
    contexts.append(Context(tokens: result, macro: macro.name))
    disabled.insert(macro.name)
  }

  /// Whether an expansion producing `count` more tokens stays within the run's token budget;
  /// reports the first overrun (the expansion is then dropped, so hostile input ends quickly).
  private mutating func withinTokenBudget(adding count: Int, at name: PPToken) -> Bool {
    if expandedTokenCount + count <= options.maxExpandedTokens { return true }
    if !reportedExpansionLimit {
      reportedExpansionLimit = true
      error(
        .macroExpansionLimit,
        "macro expansions produce more than \(options.maxExpandedTokens) tokens; '\(name.text)' is not expanded",
        at: name.location)
    }
    return false
  }

  /// `#param`: the argument's spelling as a string literal, whitespace collapsed to one space,
  /// `"` and `\` escaped inside string and character literals.
  static func stringize(_ argument: [FlowToken], at location: SourceLocation) -> PPToken {
    var text = "\""
    for (index, flow) in argument.enumerated() {
      let token = flow.token
      if index > 0, token.hasLeadingSpace || token.isAtStartOfLine { text += " " }
      if token.kind == .stringLiteral || token.kind == .characterLiteral {
        for character in token.text {
          if character == "\"" || character == "\\" { text.append("\\") }
          text.append(character)
        }
      } else {
        text += token.text
      }
    }
    text += "\""
    return PPToken(kind: .stringLiteral, text: text, location: location)
  }

  /// `a ## b`: one token spelled like both, or `nil` (with an error, reported at the macro
  /// invocation) if that is not a token.
  mutating func paste(_ left: PPToken, _ right: PPToken, in expansion: ExpansionID) -> PPToken? {
    let text = left.text + right.text
    var tokenizer = Tokenizer(bytes: Array(text.utf8), buffer: left.location.buffer)
    if let token = tokenizer.next(), token.text == text, tokenizer.next() == nil, !tokenizer.hasDiagnostics {
      var pasted = left
      pasted.kind = token.kind
      pasted.text = text
      return pasted
    }
    var location = left.location
    if location.expansion == nil { location.expansion = expansion }
    error(
      .invalidPaste, "pasting \"\(left.text)\" and \"\(right.text)\" does not give a valid preprocessing token",
      at: location)
    return nil
  }

  // MARK: Built-in macros

  /// `__FILE__` and `__LINE__` (where the user wrote the outermost macro invocation).
  mutating func builtinExpansion(_ flow: FlowToken) -> FlowToken? {
    let name = flow.token.text
    guard name == "__FILE__" || name == "__LINE__" else { return nil }
    let site = sourceMap.userLocation(flow.token.location)
    var token = flow.token
    if name == "__LINE__" {
      token.kind = .number
      token.text = String(site.line)
    } else {
      token.kind = .stringLiteral
      var text = "\""
      for character in sourceMap[site.buffer].path {
        if character == "\"" || character == "\\" { text.append("\\") }
        text.append(character)
      }
      token.text = text + "\""
    }
    let expansion = sourceMap.addExpansion(MacroExpansion(macroName: name, site: flow.token.location, definition: nil))
    token.location.expansion = expansion
    return FlowToken(token)
  }

  /// `defined X` / `defined ( X )` inside `#if`: `1` or `0`.
  mutating func evaluateDefined(_ operatorToken: FlowToken) -> FlowToken {
    var result = operatorToken.token
    result.kind = .number
    result.text = "0"
    var operand = readRaw(crossingFiles: false)
    let parenthesized = operand?.isPunctuator("(") == true
    if parenthesized { operand = readRaw(crossingFiles: false) }
    guard let name = operand, name.token.kind == .identifier else {
      error(.badExpression, "operator 'defined' requires an identifier", at: operand?.token.location ?? result.location)
      return FlowToken(result)
    }
    if parenthesized {
      let close = readRaw(crossingFiles: false)
      if close?.isPunctuator(")") != true {
        error(.badExpression, "missing ')' after 'defined'", at: close?.token.location ?? name.token.location)
      }
    }
    let isDefined = macros[name.token.text] != nil || name.token.text == "__FILE__" || name.token.text == "__LINE__"
    result.text = isDefined ? "1" : "0"
    return FlowToken(result)
  }
}
