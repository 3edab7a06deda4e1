import HurdIDLSource

extension Engine {
  /// Handles the directive whose `#` was just read (at the start of a line).
  mutating func handleDirective(hash: PPToken) {
    let top = files.count - 1
    guard let name = nextInLine() else {
      return  // the null directive
    }
    let directive = name.kind == .identifier ? name.text : ""
    if case .after = files[top].guardState { files[top].guardState = .none }
    if case .start = files[top].guardState, directive != "ifndef" { files[top].guardState = .none }
    switch directive {
    case "define": handleDefine()
    case "undef": handleUndef()
    case "include": handleInclude(hash: hash, name: name)
    case "if":
      let value = evaluateCondition(at: name)
      openConditional(name, taken: value)
    case "ifdef", "ifndef":
      let isDefined = conditionalMacroName(for: directive).map { macros[$0] != nil || isBuiltin($0) }
      if directive == "ifndef", case .start = files[top].guardState, let guardName = lastConditionalName {
        files[top].guardState = .inside(guardName)
      }
      openConditional(name, taken: isDefined.map { directive == "ifdef" ? $0 : !$0 } ?? false)
    case "elif", "else":
      guard var conditional = files[top].conditionals.last else {
        error(.unmatchedConditional, "#\(directive) without #if", at: name.location)
        files[top].tokenizer.skipRestOfLine()
        return
      }
      if conditional.sawElse {
        error(.elseAfterElse, "#\(directive) after #else", at: name.location)
      }
      if directive == "else" {
        conditional.sawElse = true
        expectEndOfDirective("else")
      } else {
        files[top].tokenizer.skipRestOfLine()
      }
      if files[top].conditionals.count == 1, case .inside = files[top].guardState { files[top].guardState = .none }
      // The group before this directive was being read, so a branch was taken: skip the rest.
      conditional.branchTaken = true
      files[top].conditionals[files[top].conditionals.count - 1] = conditional
      skipGroup()
    case "endif":
      guard files[top].conditionals.popLast() != nil else {
        error(.unmatchedConditional, "#endif without #if", at: name.location)
        files[top].tokenizer.skipRestOfLine()
        return
      }
      if files[top].conditionals.isEmpty, case .inside(let guardName) = files[top].guardState {
        files[top].guardState = .after(guardName)
      }
      expectEndOfDirective("endif")
    case "error":
      let message = files[top].tokenizer.restOfLine()
      error(.errorDirective, "#error \(message)", at: name.location)
    case "warning":
      let message = files[top].tokenizer.restOfLine()
      warning(.warningDirective, "#warning \(message)", at: name.location)
    case "line":
      handleLine(name, tokens: expandIsolated(restOfLineTokens().map { FlowToken($0) }).map(\.token), isMarker: false)
    case "pragma":
      let operands = restOfLineTokens()
      if operands.count == 1, operands[0].text == "once" {
        onceFiles.insert(files[top].path)
      } else {
        bag.note(.pragmaIgnored, "#pragma ignored", at: name.location)
      }
    case "ident", "sccs":
      files[top].tokenizer.skipRestOfLine()
    default:
      if name.kind == .number {
        handleLine(name, tokens: [name] + restOfLineTokens(), isMarker: true)
        return
      }
      error(.unknownDirective, "invalid preprocessing directive #\(name.text)", at: name.location)
      files[top].tokenizer.skipRestOfLine()
    }
  }

  func isBuiltin(_ name: String) -> Bool { name == "__FILE__" || name == "__LINE__" }

  /// Reads `NAME` of `#ifdef`/`#ifndef`; reports and returns `nil` when it is missing.
  mutating func conditionalMacroName(for directive: String) -> String? {
    lastConditionalName = nil
    guard let token = nextInLine() else {
      error(.missingMacroName, "no macro name given in #\(directive) directive", at: currentDirectiveEnd())
      return nil
    }
    guard token.kind == .identifier else {
      error(.badMacroName, "macro names must be identifiers", at: token.location)
      files[files.count - 1].tokenizer.skipRestOfLine()
      return nil
    }
    expectEndOfDirective(directive)
    lastConditionalName = token.text
    return token.text
  }

  /// A location for "missing operand" errors: just after the directive's last token.
  func currentDirectiveEnd() -> SourceLocation? {
    guard let top = files.indices.last else { return nil }
    return relocate(
      SourceLocation(buffer: files[top].buffer, line: files[top].tokenizer.currentLine, column: 1), in: top)
  }

  mutating func openConditional(_ name: PPToken, taken: Bool) {
    let top = files.count - 1
    files[top].conditionals.append(Conditional(location: name.location, directive: name.text, branchTaken: taken))
    if !taken { skipGroup() }
  }

  /// Skips lines until the innermost open group becomes active (`#elif` true, `#else`) or ends.
  mutating func skipGroup() {
    let top = files.count - 1
    files[top].tokenizer.isSkipping = true
    defer { if files.count > top { files[top].tokenizer.isSkipping = false } }
    var depth = 0
    while let token = files[top].tokenizer.next() {
      guard token.isAtStartOfLine, token.kind == .punctuator, token.text == "#",
        let name = files[top].tokenizer.nextInLine(), name.kind == .identifier
      else {
        files[top].tokenizer.skipRestOfLine()
        continue
      }
      let location = relocate(name.location, in: top)
      switch name.text {
      case "if", "ifdef", "ifndef":
        depth += 1
        files[top].tokenizer.skipRestOfLine()
      case "endif" where depth > 0, "else" where depth > 0, "elif" where depth > 0:
        if name.text == "endif" { depth -= 1 }
        files[top].tokenizer.skipRestOfLine()
      case "endif":
        files[top].conditionals.removeLast()
        if files[top].conditionals.isEmpty, case .inside(let guardName) = files[top].guardState {
          files[top].guardState = .after(guardName)
        }
        files[top].tokenizer.isSkipping = false
        expectEndOfDirective("endif")
        return
      case "else":
        let index = files[top].conditionals.count - 1
        if files[top].conditionals[index].sawElse {
          error(.elseAfterElse, "#else after #else", at: location)
        }
        files[top].conditionals[index].sawElse = true
        if index == 0, case .inside = files[top].guardState { files[top].guardState = .none }
        files[top].tokenizer.isSkipping = false
        expectEndOfDirective("else")
        files[top].tokenizer.isSkipping = true
        if !files[top].conditionals[index].branchTaken {
          files[top].conditionals[index].branchTaken = true
          return
        }
      case "elif":
        let index = files[top].conditionals.count - 1
        if files[top].conditionals[index].sawElse {
          error(.elseAfterElse, "#elif after #else", at: location)
        }
        if index == 0, case .inside = files[top].guardState { files[top].guardState = .none }
        if files[top].conditionals[index].branchTaken {
          files[top].tokenizer.skipRestOfLine()
        } else {
          files[top].tokenizer.isSkipping = false
          var nameToken = name
          nameToken.location = location
          if evaluateCondition(at: nameToken) {
            files[top].conditionals[index].branchTaken = true
            return
          }
          files[top].tokenizer.isSkipping = true
        }
      default:
        files[top].tokenizer.skipRestOfLine()
      }
    }
    // End of file inside the group: `finishFile` reports the open conditionals.
  }

  /// Macro-expands and evaluates the rest of an `#if`/`#elif` line (false after an error).
  mutating func evaluateCondition(at directive: PPToken) -> Bool {
    let tokens = restOfLineTokens()
    guard !tokens.isEmpty else {
      error(.badExpression, "#\(directive.text) with no expression", at: directive.location)
      return false
    }
    evaluatingCondition = true
    let expanded = expandIsolated(tokens.map { FlowToken($0) })
    evaluatingCondition = false
    var evaluator = ConditionEvaluator(tokens: expanded.map(\.token), directive: directive)
    let value = evaluator.evaluate()
    bag.emit(contentsOf: evaluator.diagnostics)
    return value ?? false
  }

  // MARK: #define / #undef

  mutating func macroName(for directive: String) -> PPToken? {
    guard let token = nextInLine() else {
      error(.missingMacroName, "no macro name given in #\(directive) directive", at: currentDirectiveEnd())
      return nil
    }
    guard token.kind == .identifier else {
      error(.badMacroName, "macro names must be identifiers", at: token.location)
      files[files.count - 1].tokenizer.skipRestOfLine()
      return nil
    }
    if token.text == "defined" {
      error(.badMacroName, "'defined' cannot be used as a macro name", at: token.location)
      files[files.count - 1].tokenizer.skipRestOfLine()
      return nil
    }
    return token
  }

  mutating func handleUndef() {
    guard let name = macroName(for: "undef") else { return }
    expectEndOfDirective("undef")
    macros[name.text] = nil
  }

  mutating func handleDefine() {
    guard let name = macroName(for: "define") else { return }
    var tokens = restOfLineTokens()
    var parameters: [String] = []
    var isFunctionLike = false
    var isVariadic = false
    var bodyStart = 0
    if let open = tokens.first, open.kind == .punctuator, open.text == "(", !open.hasLeadingSpace {
      isFunctionLike = true
      guard let (names, variadic, end) = parseParameters(tokens) else { return }
      parameters = names
      isVariadic = variadic
      bodyStart = end
    }
    tokens.removeFirst(bodyStart)
    guard let body = buildBody(tokens, parameters: parameters, isFunctionLike: isFunctionLike) else { return }
    let macro = Macro(
      name: name.text, location: name.location, isFunctionLike: isFunctionLike, parameters: parameters,
      isVariadic: isVariadic, body: body)
    if let previous = macros[name.text], !previous.hasSameDefinition(as: macro) {
      warning(
        .macroRedefined, "'\(name.text)' redefined", at: name.location,
        notes: [.init("previous definition of '\(name.text)' is here", at: previous.location)])
    }
    macros[name.text] = macro
  }

  /// `( a, b, ... )` → names, variadic flag and the index just past `)`; `nil` after an error.
  private mutating func parseParameters(_ tokens: [PPToken]) -> (names: [String], variadic: Bool, end: Int)? {
    var names: [String] = []
    var index = 1
    func fail(_ message: String, _ location: SourceLocation?) -> (names: [String], variadic: Bool, end: Int)? {
      error(.badMacroParameters, message, at: location)
      return nil
    }
    if index < tokens.count, tokens[index].text == ")" { return (names, false, index + 1) }
    while true {
      guard index < tokens.count else { return fail("missing ')' in macro parameter list", tokens.last?.location) }
      let token = tokens[index]
      if token.kind == .punctuator, token.text == "..." {
        names.append("__VA_ARGS__")
        index += 1
        guard index < tokens.count, tokens[index].text == ")" else {
          return fail("missing ')' after '...'", index < tokens.count ? tokens[index].location : token.location)
        }
        return (names, true, index + 1)
      }
      guard token.kind == .identifier else {
        return fail("expected parameter name, found '\(token.text)'", token.location)
      }
      if token.text == "__VA_ARGS__" {
        return fail("'__VA_ARGS__' can only appear in the expansion of a variadic macro", token.location)
      }
      if names.contains(token.text) {
        return fail("duplicate macro parameter '\(token.text)'", token.location)
      }
      names.append(token.text)
      index += 1
      guard index < tokens.count else { return fail("missing ')' in macro parameter list", token.location) }
      let separator = tokens[index]
      index += 1
      switch separator.text {
      case ",": continue
      case ")": return (names, false, index)
      case "...":
        guard index < tokens.count, tokens[index].text == ")" else {
          return fail("missing ')' after '...'", index < tokens.count ? tokens[index].location : separator.location)
        }
        return (names, true, index + 1)
      default:
        return fail("expected ',' or ')', found '\(separator.text)'", separator.location)
      }
    }
  }

  /// Resolves parameters, `#` and `##` in a replacement list; `nil` after an error.
  private mutating func buildBody(_ tokens: [PPToken], parameters: [String], isFunctionLike: Bool) -> [BodyToken]? {
    var body: [BodyToken] = []
    body.reserveCapacity(tokens.count)
    var index = 0
    func parameterIndex(_ token: PPToken) -> Int {
      guard token.kind == .identifier, !parameters.isEmpty else { return -1 }
      return parameters.firstIndex(of: token.text) ?? -1
    }
    while index < tokens.count {
      let token = tokens[index]
      index += 1
      if token.kind == .punctuator, token.text == "##" {
        guard !body.isEmpty, index < tokens.count else {
          error(.pasteAtEdge, "'##' cannot appear at either end of a macro expansion", at: token.location)
          return nil
        }
        body[body.count - 1].pastesWithNext = true
        continue
      }
      if isFunctionLike, token.kind == .punctuator, token.text == "#" {
        guard index < tokens.count, parameterIndex(tokens[index]) >= 0 else {
          error(.stringizeNotParameter, "'#' is not followed by a macro parameter", at: token.location)
          return nil
        }
        var element = BodyToken(token: token, parameter: parameterIndex(tokens[index]), stringizes: true, pastesWithNext: false)
        element.token.text = tokens[index].text
        body.append(element)
        index += 1
        continue
      }
      if token.kind == .identifier, token.text == "__VA_ARGS__", !(parameters.last == "__VA_ARGS__") {
        warning(
          .badMacroParameters, "'__VA_ARGS__' can only appear in the expansion of a variadic macro", at: token.location)
      }
      body.append(BodyToken(token: token, parameter: parameterIndex(token), stringizes: false, pastesWithNext: false))
    }
    return body
  }

  // MARK: #include

  mutating func handleInclude(hash: PPToken, name: PPToken) {
    let top = files.count - 1
    var spelled: String
    var isAngled: Bool
    var location: SourceLocation
    if var header = files[top].tokenizer.nextHeaderName() {
      header.location = relocate(header.location, in: top)
      location = header.location
      if header.kind != .headerName {
        files[top].tokenizer.skipRestOfLine()
        return  // the tokenizer reported the missing terminator
      }
      isAngled = header.text.hasPrefix("<")
      spelled = String(header.text.dropFirst().dropLast())
      expectEndOfDirective("include")
    } else {
      // A computed include: the macro-expanded operand must be "…" or <…>.
      let operands = restOfLineTokens()
      let expanded = expandIsolated(operands.map { FlowToken($0) }).map(\.token)
      location = operands.first?.location ?? name.location
      if expanded.count == 1, expanded[0].kind == .stringLiteral {
        isAngled = false
        spelled = String(expanded[0].text.dropFirst().dropLast())
      } else if let first = expanded.first, first.text == "<", let close = expanded.lastIndex(where: { $0.text == ">" }),
        close > 0
      {
        isAngled = true
        spelled = ""
        for token in expanded[1..<close] {
          if token.hasLeadingSpace, !spelled.isEmpty { spelled += " " }
          spelled += token.text
        }
        if close + 1 < expanded.count {
          warning(.extraTokens, "extra tokens at end of #include directive", at: expanded[close + 1].location)
        }
      } else {
        error(.badInclude, "#include expects \"FILENAME\" or <FILENAME>", at: location)
        return
      }
    }
    guard !spelled.isEmpty else {
      error(.badInclude, "empty filename in #include", at: location)
      return
    }
    include(spelled, isAngled: isAngled, at: location, hash: hash)
  }

  mutating func include(_ name: String, isAngled: Bool, at location: SourceLocation, hash: PPToken) {
    let top = files.count - 1
    guard
      let file = resolver.resolve(
        name: name, isAngled: isAngled, includer: files[top].path, searchPaths: options.includePaths)
    else {
      var searched = IncludeSearch.candidates(
        name: name, isAngled: isAngled, includer: files[top].path, searchPaths: options.includePaths)
      if searched.isEmpty { searched = ["(no -I directories given)"] }
      error(
        .missingInclude, "'\(name)' file not found", at: location,
        notes: [.init("searched: \(searched.joined(separator: ", "))")])
      return
    }
    if onceFiles.contains(file.path) { return }
    if let guardName = guardedFiles[file.path], macros[guardName] != nil { return }
    let isOnStack = files.contains { $0.path == file.path }
    if isOnStack, reportedCycles.contains(file.path) { return }
    if files.count >= options.maxIncludeDepth {
      if isOnStack {
        reportedCycles.insert(file.path)
        error(
          .includeCycle,
          "#include cycle: '\(file.path)' includes itself (nesting depth \(options.maxIncludeDepth) reached)",
          at: location)
      } else {
        error(.includeDepth, "#include nested depth \(files.count) exceeds maximum of \(options.maxIncludeDepth)", at: location)
      }
      return
    }
    if inclusionCount >= options.maxInclusions {
      if !reportedInclusionLimit {
        reportedInclusionLimit = true
        error(.includeLimit, "more than \(options.maxInclusions) files included; no further files are read", at: location)
      }
      return
    }
    inclusionCount += 1
    // The rest of the directive line was consumed, so the new file starts cleanly.
    files[top].tokenizer.skipRestOfLine()
    let buffer = sourceMap.addBuffer(path: file.path, kind: .file, bytes: file.bytes, includedFrom: hash.location)
    includedFiles.append(file.path)
    files.append(FileFrame(tokenizer: Tokenizer(buffer: sourceMap[buffer]), buffer: buffer, path: file.path))
  }

  // MARK: #line and line markers

  mutating func handleLine(_ name: PPToken, tokens: [PPToken], isMarker: Bool) {
    let top = files.count - 1
    let code: DiagnosticCode = isMarker ? .badLineMarker : .badLineDirective
    let directive = isMarker ? "line marker" : "#line"
    guard let number = tokens.first, number.kind == .number, number.text.allSatisfy(\.isASCIIDigit),
      let line = Int32(number.text), line >= 1, line <= Self.maxLineNumber
    else {
      let found = tokens.first?.text ?? ""
      error(code, "'\(found)' after \(directive) is not a positive integer", at: tokens.first?.location ?? name.location)
      return
    }
    var path: String?
    if tokens.count > 1 {
      guard tokens[1].kind == .stringLiteral else {
        error(code, "invalid filename '\(tokens[1].text)' in \(directive)", at: tokens[1].location)
        return
      }
      path = Self.unquote(tokens[1].text)
      if !isMarker, tokens.count > 2 {
        warning(.extraTokens, "extra tokens at end of #line directive", at: tokens[2].location)
      }
    }
    let currentBuffer = files[top].presumedBuffer ?? files[top].buffer
    let newBuffer = sourceMap.addBuffer(
      path: path ?? sourceMap[currentBuffer].path, kind: .file, bytes: [],
      includedFrom: sourceMap[files[top].buffer].includedFrom)
    files[top].presumedBuffer = newBuffer
    files[top].lineDelta = line - (files[top].tokenizer.currentLine + 1)
  }

  /// Larger `#line` numbers are rejected, so line arithmetic cannot overflow.
  static let maxLineNumber: Int32 = 1_000_000_000

  /// The contents of a string literal with `\"` and `\\` unescaped.
  static func unquote(_ literal: String) -> String {
    var result = ""
    var escaped = false
    for character in literal.dropFirst().dropLast() {
      if escaped {
        result.append(character)
        escaped = false
      } else if character == "\\" {
        escaped = true
      } else {
        result.append(character)
      }
    }
    return result
  }
}

extension Character {
  var isASCIIDigit: Bool { isASCII && isNumber }
}
