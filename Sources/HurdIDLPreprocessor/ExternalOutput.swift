import HurdIDLSource

extension Preprocessor {
  /// Tokenizes text an external preprocessor (`gcc -E …`) already produced, honouring GCC line
  /// markers (`# N "file" flags`) so that every token points back to the file and line it came
  /// from. One buffer is created per file entered; its bytes are not available, so diagnostics
  /// show no source line. Other `#` lines (`#pragma`, `#ident`) are ignored with a note.
  public static func tokenizeExternalOutput(text: String, mainPath: String) -> PreprocessedUnit {
    var sourceMap = SourceMap()
    var bag = DiagnosticBag()
    let bytes = Array(text.utf8)
    var tokenizer = Tokenizer(bytes: bytes, buffer: BufferID(rawValue: 0))
    let main = sourceMap.addBuffer(path: mainPath, kind: .file, bytes: [])
    var stack: [BufferID] = [main]
    var lineDelta: Int32 = 0
    var tokens: [PPToken] = []

    func kind(for path: String) -> SourceBuffer.Kind {
      switch path {
      case "<built-in>": .builtin
      case "<command-line>", "<command line>": .commandLine
      default: .file
      }
    }

    func drainDiagnostics() {
      for var diagnostic in tokenizer.takeDiagnostics() {
        if let location = diagnostic.location {
          diagnostic.location = SourceLocation(
            buffer: stack[stack.count - 1], line: location.line &+ lineDelta, column: location.column)
        }
        bag.emit(diagnostic)
      }
    }

    while var token = tokenizer.next() {
      if tokenizer.hasDiagnostics { drainDiagnostics() }
      if token.isAtStartOfLine, token.kind == .punctuator, token.text == "#" {
        var operands: [PPToken] = []
        while let operand = tokenizer.nextInLine() { operands.append(operand) }
        guard let number = operands.first, number.kind == .number, let line = Int32(number.text), line <= Engine.maxLineNumber else {
          if !operands.isEmpty {
            bag.note(
              .pragmaIgnored, "'#\(operands[0].text)' line in preprocessed input ignored",
              at: SourceLocation(
                buffer: stack[stack.count - 1], line: token.location.line &+ lineDelta, column: token.location.column))
          }
          continue
        }
        let flags = operands.dropFirst(2).compactMap { Int($0.text) }
        let here = SourceLocation(buffer: stack[stack.count - 1], line: token.location.line &+ lineDelta, column: 1)
        if operands.count > 1, operands[1].kind == .stringLiteral {
          let path = Engine.unquote(operands[1].text)
          if flags.contains(1) {
            let includer = stack.count > 0 ? here : nil
            stack.append(sourceMap.addBuffer(path: path, kind: kind(for: path), bytes: [], includedFrom: includer))
          } else if flags.contains(2) {
            while stack.count > 1, sourceMap[stack[stack.count - 1]].path != path { stack.removeLast() }
            if sourceMap[stack[stack.count - 1]].path != path {
              stack[stack.count - 1] = sourceMap.addBuffer(path: path, kind: kind(for: path), bytes: [])
            }
          } else if sourceMap[stack[stack.count - 1]].path != path {
            let includedFrom = sourceMap[stack[stack.count - 1]].includedFrom
            stack[stack.count - 1] = sourceMap.addBuffer(
              path: path, kind: kind(for: path), bytes: [], includedFrom: includedFrom)
          }
        }
        lineDelta = line - (tokenizer.currentLine + 1)
        continue
      }
      token.location = SourceLocation(
        buffer: stack[stack.count - 1], line: token.location.line &+ lineDelta, column: token.location.column)
      tokens.append(token)
    }
    drainDiagnostics()
    return PreprocessedUnit(
      tokens: tokens, sourceMap: sourceMap, diagnostics: bag.diagnostics, includedFiles: [mainPath])
  }
}
