import HurdIDLSource

extension Parser {
  /// `routine name(args);` / `simpleroutine name(args);`. Returns `nil` when an argument had an
  /// error (reported; the list recovered at `;`/`)`), so sema never sees a half-parsed routine.
  mutating func parseRoutine(_ keyword: Keyword) throws(ParseFailure) -> RoutineDecl? {
    productions.record(.routineStatement)
    let keywordToken = advance()
    let kind: RoutineDecl.Kind = keyword == .routine ? .routine : .simpleRoutine
    let name = try expectIdentifier("the \(kind.rawValue) name")
    let (arguments, complete) = try parseArgumentList(of: name)
    try expectSemicolon(after: "the \(kind.rawValue) declaration")
    guard complete else { return nil }
    return RoutineDecl(kind: kind, name: name, arguments: arguments, range: range(from: keywordToken.location))
  }

  /// `"(" [argument {";" argument}] ")"`; `complete` is false when an argument was skipped.
  private mutating func parseArgumentList(of routine: Identifier) throws(ParseFailure) -> ([Argument], complete: Bool) {
    productions.record(.argList)
    let open = try expect("(", "after the routine name '\(routine.name)'")
    var arguments: [Argument] = []
    var complete = true
    if peek().isPunctuation(")") {
      advance()
      return (arguments, true)
    }
    while true {
      var argumentFailed = false
      let next = peek()
      if isSynchronisationPoint(next) {
        // `routine r(a: t;` then end of file or the next statement: the list was never closed.
        throw error(
          .expectedToken,
          "expected an argument or ')' to close the argument list of '\(routine.name)', found \(next.quotedDescription)",
          at: next.kind == .endOfFile ? next.location : previousEnd,
          notes: [.init("the argument list starts here", at: open.location)])
      }
      do throws(ParseFailure) {
        arguments.append(try parseArgument())
      } catch {
        argumentFailed = true
        complete = false
        skipWithinList(closer: ")")
      }
      // At the separator: `;` continues, `)` ends; anything else is reported once and skipped.
      while true {
        let token = peek()
        if token.isPunctuation(";") {
          advance()
          if peek().isPunctuation(")") {
            diagnostics.error(
              .trailingSemicolon, "unexpected ')' after ';': MIG does not allow a ';' after the last argument",
              at: peek().location)
            advance()
            return (arguments, false)
          }
          break
        }
        if token.isPunctuation(")") {
          advance()
          return (arguments, complete)
        }
        let isUnclosed = isSynchronisationPoint(token)
        if !argumentFailed {
          let message =
            isUnclosed
            ? "expected ')' to close the argument list of '\(routine.name)', found \(token.quotedDescription)"
            : "expected ';' or ')' after the argument, found \(token.quotedDescription)"
          diagnostics.error(
            .expectedToken, message, at: isUnclosed && token.kind != .endOfFile ? previousEnd : token.location,
            notes: isUnclosed ? [.init("the argument list starts here", at: open.location)] : [])
        }
        if isUnclosed { throw ParseFailure() }
        complete = false
        argumentFailed = true
        skipWithinList(closer: ")")
      }
    }
  }
}
