import HurdIDLPreprocessor
import HurdIDLSource
import HurdIDLSyntax
import Testing

@Suite struct LexerTests {
  private func lex(_ text: String) -> (tokens: [Token], diagnostics: [Diagnostic]) {
    var map = SourceMap()
    let id = map.addBuffer(path: "t.defs", bytes: Array(text.utf8))
    var lexer = Lexer(tokens: Tokenizer.tokenize(map[id]).tokens)
    var bag = DiagnosticBag()
    var tokens: [Token] = []
    while true {
      let token = lexer.next(diagnostics: &bag)
      if token.kind == .endOfFile { break }
      tokens.append(token)
    }
    return (tokens, bag.diagnostics)
  }

  @Test func keywordsAreCaseInsensitive() {
    let (tokens, diagnostics) = lex("ROUTINE Type In SimpleRoutine kernelUSER C_STRING Polymorphic DEALLOC")
    #expect(diagnostics.isEmpty)
    #expect(
      tokens.map(\.kind) == [
        .keyword(.routine), .keyword(.type), .keyword(.in), .keyword(.simpleRoutine), .keyword(.kernelUser),
        .keyword(.cString), .keyword(.polymorphic), .keyword(.dealloc),
      ])
    #expect(tokens[0].text == "ROUTINE")
  }

  @Test func everyKeywordIsRecognised() {
    for keyword in Keyword.allCases {
      #expect(lex(keyword.rawValue.uppercased()).tokens.first?.kind == .keyword(keyword))
    }
  }

  @Test func msgTypeNamesAreCaseSensitive() {
    let (tokens, _) = lex("MACH_MSG_TYPE_INTEGER_32 mach_msg_type_integer_32 MACH_MSG_TYPE_Integer_32 MACH_MSG_TYPE_REAL_32")
    #expect(tokens.map(\.kind) == [.msgTypeName(.integer32), .identifier, .identifier, .identifier])
    for name in MsgTypeName.allCases {
      #expect(lex(name.rawValue).tokens.first?.kind == .msgTypeName(name))
    }
  }

  @Test func notReservedWordsStayIdentifiers() {
    let (tokens, _) = lex("notify msgtype server sendtime retcode2")
    #expect(tokens.allSatisfy { $0.kind == .identifier })
  }

  @Test func decimalNumbersAndOverflow() {
    let (tokens, diagnostics) = lex("0 4294967295 4294967296 007")
    #expect(tokens.map(\.kind) == [.number(0), .number(4_294_967_295), .number(UInt32.max), .number(7)])
    #expect(diagnostics.map(\.code) == [.numberTooLarge])
    #expect(diagnostics[0].location?.column == 14)
  }

  @Test func hexadecimalIsAnExtensionWithANote() {
    let (tokens, diagnostics) = lex("0x100 0XfF")
    #expect(tokens.map(\.kind) == [.number(256), .number(255)])
    #expect(diagnostics.map(\.severity) == [.note, .note])
    #expect(diagnostics.map(\.code) == [.hexadecimalNumber, .hexadecimalNumber])
  }

  @Test func invalidNumbers() {
    let (tokens, diagnostics) = lex("1.5 12ab 1e3 0x")
    #expect(tokens.count == 4)
    #expect(diagnostics.map(\.code) == Array(repeating: .invalidNumber, count: 4))
  }

  @Test func punctuationAndSplitCPunctuators() {
    let (tokens, diagnostics) = lex("a||b ->*= ( ) [ ] { } ^ ~ < > : ; , = + /")
    #expect(diagnostics.isEmpty)
    #expect(
      tokens.map(\.text) == [
        "a", "|", "|", "b", "-", ">", "*", "=", "(", ")", "[", "]", "{", "}", "^", "~", "<", ">", ":", ";", ",", "=",
        "+", "/",
      ])
    #expect(tokens[2].location.column == 3)
    #expect(tokens[5].location.column == 7)
  }

  @Test func garbageRunGivesOneError() {
    let garbage = String(repeating: "@#%?!&", count: 200)
    let (tokens, diagnostics) = lex("routine \(garbage) foo")
    #expect(tokens.map(\.text) == ["routine", "foo"])
    #expect(diagnostics.count == 1)
    #expect(diagnostics[0].code == .illegalCharacter)
    #expect(diagnostics[0].message.hasPrefix("illegal character '@'"))
    #expect(diagnostics[0].location?.column == 9)
  }

  @Test func binaryBytesAreIllegalCharacters() {
    var map = SourceMap()
    let id = map.addBuffer(path: "bin.defs", bytes: [0x72, 0x20, 0xFF, 0xFE, 0x01, 0x20, 0x61])
    var lexer = Lexer(tokens: Tokenizer.tokenize(map[id]).tokens)
    var bag = DiagnosticBag()
    #expect(lexer.next(diagnostics: &bag).text == "r")
    #expect(lexer.next(diagnostics: &bag).text == "a")
    #expect(bag.diagnostics.map(\.code) == [.illegalCharacter])
    #expect(bag.diagnostics[0].message.contains("\\x??"))
  }

  @Test func literalsOutsideTheirContextAreErrors() {
    let (tokens, diagnostics) = lex("a \"s\" 'c' b")
    #expect(tokens.map(\.text) == ["a", "b"])
    #expect(diagnostics.map(\.code) == [.unexpectedLiteral, .unexpectedLiteral])
  }

  @Test func dollarInIdentifierIsReported() {
    let (tokens, diagnostics) = lex("ab$c")
    #expect(tokens.map(\.kind) == [.identifier])
    #expect(diagnostics.map(\.code) == [.illegalCharacter])
    #expect(diagnostics[0].location?.column == 3)
  }
}
