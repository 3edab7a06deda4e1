import HurdIDLSource

/// The state of one preprocessing run. `Preprocessor` builds one, feeds it the predefines,
/// command-line macros, `-imacros` files and the main file, then hands out the result.
struct Engine {
  /// An open `#if` group.
  struct Conditional {
    /// Where the `#if`/`#ifdef`/`#ifndef` stands (for "unterminated" errors).
    var location: SourceLocation
    var directive: String
    var sawElse = false
    /// Some branch has been taken, so every later branch is skipped.
    var branchTaken: Bool
  }

  /// Multiple-include optimisation: a file whose only content is `#ifndef X … #endif` need not
  /// be read again while `X` is defined.
  enum GuardState {
    case start
    case inside(String)
    case after(String)
    case none
  }

  /// One file being read.
  struct FileFrame {
    var tokenizer: Tokenizer
    let buffer: BufferID
    /// The path the resolver returned; quote includes search its directory.
    let path: String
    var conditionals: [Conditional] = []
    /// After `#line`: tokens are reported in this buffer, shifted by `lineDelta`.
    var presumedBuffer: BufferID?
    var lineDelta: Int32 = 0
    var guardState: GuardState = .start
  }

  /// Tokens still to be read from one macro expansion (or an argument being pre-expanded).
  struct Context {
    var tokens: [FlowToken]
    var index = 0
    /// The macro that is disabled while this context is live.
    var macro: String?
  }

  let options: PreprocessorOptions
  let resolver: any IncludeResolver
  var sourceMap = SourceMap()
  var bag: DiagnosticBag
  var macros: [String: Macro] = [:]
  /// Macros whose expansion is being read (they are not expanded again: blue paint).
  var disabled: Set<String> = []
  var files: [FileFrame] = []
  var contexts: [Context] = []
  /// Context-stack heights below which reading must not go (isolated argument expansion).
  var floors: [Int] = []
  /// A token read from the file while looking for a macro's `(` and not used.
  var pendingFileToken: FlowToken?
  /// `#if` expression: `defined` is an operator, not an identifier.
  var evaluatingCondition = false
  var output: [PPToken] = []
  var includedFiles: [String] = []
  var guardedFiles: [String: String] = [:]
  var onceFiles: Set<String> = []
  var reportedCycles: Set<String> = []
  var inclusionCount = 0
  var expansionCount = 0
  var reportedExpansionLimit = false
  /// Tokens produced by macro expansions so far (see `PreprocessorOptions.maxExpandedTokens`).
  var expandedTokenCount = 0
  var reportedInclusionLimit = false
  var reportedRecursion: Set<String> = []
  var reportedArgumentNesting = false
  static let maxArgumentNesting = 128
  /// The operand of the last `#ifdef`/`#ifndef` (include-guard detection).
  var lastConditionalName: String?

  init(options: PreprocessorOptions, resolver: any IncludeResolver) {
    self.options = options
    self.resolver = resolver
    self.bag = DiagnosticBag(errorLimit: options.errorLimit)
  }

  // MARK: Running

  /// Reads a whole buffer (and everything it includes); keeps its tokens when `emits`.
  mutating func process(buffer: BufferID, path: String, emits: Bool) {
    files.append(FileFrame(tokenizer: Tokenizer(buffer: sourceMap[buffer]), buffer: buffer, path: path))
    while let token = nextExpanded(crossingFiles: true) {
      if emits { output.append(token.token) }
    }
    // Anything left over (cannot normally happen) is dropped so the next run starts clean.
    contexts.removeAll()
    disabled.removeAll()
    pendingFileToken = nil
  }

  /// Defines the predefined and command-line macros through ordinary `#define`/`#undef` text, so
  /// they get the same checks and their definitions have a location.
  mutating func processCommandLine(_ lines: [String], path: String, kind: SourceBuffer.Kind) {
    guard !lines.isEmpty else { return }
    let text = lines.joined(separator: "\n") + "\n"
    let buffer = sourceMap.addBuffer(path: path, kind: kind, bytes: Array(text.utf8))
    process(buffer: buffer, path: path, emits: false)
  }

  static func directiveLine(for macro: CommandLineMacro) -> String {
    switch macro {
    case .define(let spec):
      let firstLine = spec.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
      guard let equals = firstLine.firstIndex(of: "=") else { return "#define \(firstLine) 1" }
      return "#define \(firstLine[..<equals]) \(firstLine[firstLine.index(after: equals)...])"
    case .undefine(let name):
      return "#undef \(name)"
    }
  }

  // MARK: Diagnostics

  mutating func error(_ code: DiagnosticCode, _ message: String, at location: SourceLocation?, notes: [Diagnostic.Note] = []) {
    bag.error(code, message, at: location, notes: notes)
  }

  mutating func warning(_ code: DiagnosticCode, _ message: String, at location: SourceLocation?, notes: [Diagnostic.Note] = []) {
    bag.warning(code, message, at: location, notes: notes)
  }

  /// Moves the tokenizer's diagnostics of the top file into the bag (relocated by `#line`).
  mutating func drainTokenizerDiagnostics() {
    guard let top = files.indices.last, files[top].tokenizer.hasDiagnostics else { return }
    for var diagnostic in files[top].tokenizer.takeDiagnostics() {
      if let location = diagnostic.location { diagnostic.location = relocate(location, in: top) }
      bag.emit(diagnostic)
    }
  }

  // MARK: Reading file tokens

  func relocate(_ location: SourceLocation, in frame: Int) -> SourceLocation {
    guard let presumed = files[frame].presumedBuffer else { return location }
    var moved = location
    moved.buffer = presumed
    moved.line &+= files[frame].lineDelta
    return moved
  }

  /// The next token of the current line of the top file (directive operands).
  mutating func nextInLine() -> PPToken? {
    guard let top = files.indices.last, var token = files[top].tokenizer.nextInLine() else { return nil }
    token.location = relocate(token.location, in: top)
    return token
  }

  /// The remaining tokens of the current directive line.
  mutating func restOfLineTokens() -> [PPToken] {
    var tokens: [PPToken] = []
    while let token = nextInLine() { tokens.append(token) }
    return tokens
  }

  /// Warns if the directive has more operands than it uses, and skips them.
  mutating func expectEndOfDirective(_ directive: String) {
    if let extra = nextInLine() {
      warning(.extraTokens, "extra tokens at end of #\(directive) directive", at: extra.location)
      files[files.count - 1].tokenizer.skipRestOfLine()
    }
  }

  /// The next token of the top file after handling directives and skipped groups; `nil` once
  /// when a file ends (the file is closed then, so reading again continues in its includer).
  mutating func lexFileToken() -> FlowToken? {
    while let top = files.indices.last {
      guard var token = files[top].tokenizer.next() else {
        drainTokenizerDiagnostics()
        finishFile()
        return nil
      }
      if files[top].tokenizer.hasDiagnostics { drainTokenizerDiagnostics() }
      token.location = relocate(token.location, in: top)
      if token.isAtStartOfLine, token.kind == .punctuator, token.text == "#" {
        handleDirective(hash: token)
        drainTokenizerDiagnostics()
        continue
      }
      switch files[top].guardState {
      case .inside: break
      default: files[top].guardState = .none
      }
      return FlowToken(token)
    }
    return nil
  }

  /// End of a file: report open conditionals, remember its include guard, close it.
  mutating func finishFile() {
    guard let frame = files.popLast() else { return }
    for conditional in frame.conditionals.reversed() {
      error(.unterminatedConditional, "unterminated #\(conditional.directive)", at: conditional.location)
    }
    if case .after(let name) = frame.guardState, sourceMap[frame.buffer].kind == .file {
      guardedFiles[frame.path] = name
    }
  }

  // MARK: Raw tokens across contexts

  mutating func popContext() {
    if let macro = contexts.removeLast().macro { disabled.remove(macro) }
  }

  /// The next unexpanded token: from the innermost live context, else from the file. Inside an
  /// isolated expansion it stops at the floor. `crossingFiles` lets it continue into the
  /// includer when a file ends (macro arguments may not span files).
  mutating func readRaw(crossingFiles: Bool) -> FlowToken? {
    while true {
      let floor = floors.last ?? 0
      if contexts.count > floor {
        let top = contexts.count - 1
        if contexts[top].index < contexts[top].tokens.count {
          defer { contexts[top].index += 1 }
          return contexts[top].tokens[contexts[top].index]
        }
        popContext()
        continue
      }
      if !floors.isEmpty { return nil }
      if let pending = pendingFileToken {
        pendingFileToken = nil
        return pending
      }
      if let token = lexFileToken() { return token }
      if !crossingFiles || files.isEmpty { return nil }
    }
  }

  /// True if the next raw token is `(`, without consuming it (a function-like macro name not
  /// followed by `(` is an ordinary identifier).
  mutating func nextIsOpenParenthesis() -> Bool {
    let floor = floors.last ?? 0
    while contexts.count > floor {
      let top = contexts.count - 1
      if contexts[top].index < contexts[top].tokens.count {
        return contexts[top].tokens[contexts[top].index].isPunctuator("(")
      }
      popContext()
    }
    if !floors.isEmpty { return false }
    if pendingFileToken == nil { pendingFileToken = lexFileToken() }
    return pendingFileToken?.isPunctuator("(") == true
  }
}
