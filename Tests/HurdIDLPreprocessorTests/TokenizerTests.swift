import HurdIDLPreprocessor
import HurdIDLSource
import Testing

@Suite struct TokenizerTests {
  private func tokens(_ text: String) -> (tokens: [PPToken], diagnostics: [Diagnostic]) {
    var map = SourceMap()
    let id = map.addBuffer(path: "t.defs", bytes: Array(text.utf8))
    return Tokenizer.tokenize(map[id])
  }

  @Test func splitsTokensAndKeepsLocations() {
    let (tokens, diagnostics) = tokens("routine foo(\n  x : int);\n")
    #expect(diagnostics.isEmpty)
    #expect(tokens.map(\.text) == ["routine", "foo", "(", "x", ":", "int", ")", ";"])
    #expect(tokens[3].location.line == 2)
    #expect(tokens[3].location.column == 3)
    #expect(tokens[3].isAtStartOfLine)
    #expect(!tokens[4].isAtStartOfLine && tokens[4].hasLeadingSpace)
  }

  @Test func removesCommentsAndSplices() {
    let (tokens, _) = tokens("a /* c\n */ b // x\nc\\\nd")
    #expect(tokens.map(\.text) == ["a", "b", "cd"])
    #expect(tokens[1].location.line == 2)
    #expect(tokens[2].location.line == 3)
  }

  @Test func reportsUnterminatedComment() {
    let (_, diagnostics) = tokens("a /* never closed")
    #expect(diagnostics.map(\.code) == [.unterminatedComment])
    #expect(diagnostics.first?.location?.column == 3)
  }

  @Test func longestPunctuatorAndNumbers() {
    let (tokens, _) = tokens("a##b <<= 0x1F 1e+5 'f' \"s\"")
    #expect(tokens.map(\.text) == ["a", "##", "b", "<<=", "0x1F", "1e+5", "'f'", "\"s\""])
    #expect(tokens.map(\.kind) == [.identifier, .punctuator, .identifier, .punctuator, .number, .number, .characterLiteral, .stringLiteral])
  }

  @Test func directiveReadingStopsAtTheLineEnd() {
    var map = SourceMap()
    let id = map.addBuffer(path: "t.defs", bytes: Array("#define X 1 /* multi\n line */ 2\nnext 'unterminated\nlast".utf8))
    var tokenizer = Tokenizer(buffer: map[id])
    var line: [String] = []
    while let token = tokenizer.nextInLine() { line.append(token.text) }
    // A comment spanning lines continues the directive, as in GCC.
    #expect(line == ["#", "define", "X", "1", "2"])
    #expect(tokenizer.currentLine == 2)
    let next = tokenizer.next()
    #expect(next?.text == "next" && next?.isAtStartOfLine == true)
    tokenizer.isSkipping = true
    tokenizer.skipRestOfLine()
    #expect(tokenizer.next()?.text == "last")
    #expect(!tokenizer.hasDiagnostics)
  }

  @Test func splicesInsideTokensAreRemovedFromTheirText() {
    let (tokens, diagnostics) = tokens("ab\\\ncd \"x\\\ny\" 1\\\r\n2 <\\\n<\\\n=")
    #expect(diagnostics.isEmpty)
    #expect(tokens.map(\.text) == ["abcd", "\"xy\"", "12", "<<="])
    #expect(tokens.map(\.location.line) == [1, 2, 3, 4])
  }

  @Test func everyPunctuatorIsOneToken() {
    let spellings = [
      "...", "<<=", ">>=", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "*=", "/=", "%=", "+=",
      "-=", "&=", "^=", "|=", "##", "[", "]", "(", ")", "{", "}", ".", "&", "*", "+", "-", "~", "!", "/", "%", "<",
      ">", "^", "|", "?", ":", ";", "=", ",", "#",
    ]
    let (tokens, _) = tokens(spellings.joined(separator: " "))
    #expect(tokens.map(\.text) == spellings)
    #expect(tokens.allSatisfy { $0.kind == .punctuator })
    #expect(self.tokens("a..b @ `").tokens.map(\.text) == ["a", ".", ".", "b", "@", "`"])
  }
}
