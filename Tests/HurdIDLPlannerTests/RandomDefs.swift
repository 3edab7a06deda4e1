/// A small deterministic generator (SplitMix64), so property tests repeat exactly for a seed.
struct SeededGenerator: RandomNumberGenerator {
  private var state: UInt64
  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
  mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }
  mutating func pick<T>(_ choices: [T]) -> T { choices[int(0...(choices.count - 1))] }
}

/// Builds random `.defs` text from the grammar's constructs: type declarations of every form
/// (short, `A|B`, long form with flags, references, fixed/bounded/indefinite arrays, `struct[N]`,
/// `struct {…}`, out-of-line, c_string fixed and variable, annotations) and routines and
/// simpleroutines with 0…N arguments of every direction, with flags and inline types, plus
/// `skip`, options and prefixes. Most output is valid; some is not on purpose (e.g. an `inout`
/// variable array), so sema's rejections are exercised too.
struct RandomDefsGenerator {
  var random: SeededGenerator
  private var typeNames: [String] = []
  private var dataTypeNames: [String] = []
  private var counter = 0

  /// Most arguments a routine gets besides its request port.
  var maximumArguments: Int

  init(seed: UInt64, maximumArguments: Int = 9) {
    random = SeededGenerator(seed: seed)
    self.maximumArguments = maximumArguments
  }

  static let scalarNames = [
    "MACH_MSG_TYPE_INTEGER_8", "MACH_MSG_TYPE_INTEGER_16", "MACH_MSG_TYPE_INTEGER_32",
    "MACH_MSG_TYPE_INTEGER_64", "MACH_MSG_TYPE_CHAR", "MACH_MSG_TYPE_BYTE", "MACH_MSG_TYPE_BOOLEAN",
  ]
  static let portNames = [
    "MACH_MSG_TYPE_COPY_SEND", "MACH_MSG_TYPE_MAKE_SEND", "MACH_MSG_TYPE_MOVE_SEND",
    "MACH_MSG_TYPE_MAKE_SEND_ONCE", "MACH_MSG_TYPE_MOVE_SEND_ONCE", "MACH_MSG_TYPE_MOVE_RECEIVE",
    "MACH_MSG_TYPE_PORT_SEND", "MACH_MSG_TYPE_PORT_SEND_ONCE", "MACH_MSG_TYPE_PORT_RECEIVE", "polymorphic",
  ]
  /// Fixed inline data types std_types.defs (or GNU MIG) declares: valid array elements.
  static let standardData = [
    "int", "char", "short", "boolean_t", "int64_t", "natural_t", "integer_t", "mach_port_name_t",
  ]
  /// Variable or out-of-line data types of std_types.defs.
  static let standardVariableData = ["pointer_t", "mach_port_name_array_t"]
  static let standardPorts = [
    "mach_port_t", "mach_port_move_send_t", "mach_port_make_send_t", "mach_port_make_send_once_t",
    "mach_port_move_receive_t", "mach_port_poly_t", "mach_port_send_t", "mach_port_receive_t",
    "mach_port_array_t",
  ]

  mutating func file() -> String {
    typeNames = Self.standardData + Self.standardVariableData + Self.standardPorts
    dataTypeNames = Self.standardData
    var lines = ["subsystem \(random.chance(15) ? "KernelUser " : "")rnd \(random.int(0...5) * 1000);"]
    lines.append("#include <mach/std_types.defs>")
    for _ in 0..<random.int(2...8) { lines.append(typeStatement()) }
    for _ in 0..<random.int(1...6) {
      switch random.int(0...9) {
      case 0: lines.append(random.chance(50) ? "skip;" : "skip \(random.int(0...3));")
      case 1:
        lines.append(
          random.pick([
            "userprefix u_;", "serverprefix s_;", "waittime 100;", "nowaittime;", "msgoption MACH_SEND_INTERRUPT;",
          ]))
      case 2: lines.append(typeStatement())
      default: lines.append(routine())
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  private mutating func freshName(_ stem: String) -> String {
    counter += 1
    return "\(stem)\(counter)"
  }

  private mutating func typeStatement() -> String {
    let name = freshName("t")
    let (spec, isData) = typeSpec(depth: 0)
    let annotation = random.chance(15) ? " ctype: \(name)_c" : ""
    typeNames.append(name)
    if isData { dataTypeNames.append(name) }
    return "type \(name) = \(spec)\(annotation);"
  }

  private mutating func size() -> Int { random.pick([1, 2, 3, 4, 7, 8, 10, 16, 33, 64, 100, 300]) }

  /// A type spec and whether it is plain data (usable as an array element or struct member).
  private mutating func typeSpec(depth: Int) -> (String, Bool) {
    let choice = depth > 1 ? random.int(0...2) : random.int(0...13)
    switch choice {
    case 0: return (random.pick(Self.scalarNames), true)
    case 1: return (random.pick(dataTypeNames), true)
    case 2:
      if random.chance(70) { return (random.pick(Self.portNames), false) }
      return ("\(random.pick(["MACH_MSG_TYPE_MOVE_SEND", "MACH_MSG_TYPE_COPY_SEND"]))|MACH_MSG_TYPE_PORT_SEND", false)
    case 3:
      let flag = random.pick(["", ", IsLong", ", IsNotLong", ", Dealloc"])
      let (name, bits) = random.pick([
        ("MACH_MSG_TYPE_INTEGER_32", 32), ("MACH_MSG_TYPE_INTEGER_16", 16), ("MACH_MSG_TYPE_BYTE", 8),
        ("MACH_MSG_TYPE_INTEGER_64", 64), ("MACH_MSG_TYPE_UNSTRUCTURED", 32), ("MACH_MSG_TYPE_BIT", 1),
      ])
      return ("(\(name), \(bits)\(flag))", true)
    case 4: return ("array[\(size())] of \(element(depth))", true)
    case 5: return ("array[*:\(size())] of \(element(depth))", false)
    case 6: return ("array[\(random.chance(50) ? "" : "*")] of \(element(depth))", false)
    case 7: return ("struct[\(random.int(1...6))] of \(element(depth))", true)
    case 8:
      let members = (0..<random.int(1...4)).map { index in
        "\(random.pick(["char", "short", "int", "int64_t", "boolean_t"])) m\(index);"
      }
      return ("struct { \(members.joined(separator: " ")) }", true)
    case 9:
      let pointee = random.chance(50) ? element(depth) : "array[\(size())] of \(element(depth))"
      return ("^\(pointee)", false)
    case 10: return ("^array[] of \(element(depth))", false)
    case 11: return ("c_string[\(random.int(1...300))]", false)
    case 12: return ("c_string[*:\(random.int(1...300))]", false)
    default: return ("array[\(random.int(1...4))] of \(random.pick(["mach_port_t", "mach_port_make_send_t"]))", false)
    }
  }

  /// An array element: a named fixed type (as sema requires), a port, and rarely an anonymous
  /// spec (often invalid as an element, which sema must reject cleanly).
  private mutating func element(_ depth: Int) -> String {
    if random.chance(80) { return random.pick(dataTypeNames) }
    if random.chance(70) { return random.pick(["mach_port_t", "mach_port_poly_t", "mach_port_move_send_t"]) }
    return typeSpec(depth: depth + 1).0
  }

  private mutating func routine() -> String {
    let isSimple = random.chance(25)
    var arguments: [String] = []
    var index = 0
    func argumentName() -> String {
      index += 1
      return "a\(index)"
    }
    // Usually the request port first; sometimes `requestport`, sometimes elsewhere.
    switch random.int(0...9) {
    case 0: arguments.append("requestport \(argumentName()): \(random.pick(["mach_port_t", "mach_port_poly_t"]))")
    default: arguments.append("\(argumentName()): mach_port_t")
    }
    for _ in 0..<random.int(0...maximumArguments) {
      let direction: String
      switch random.int(0...19) {
      case 0...6: direction = "in"
      case 7...10: direction = isSimple ? "in" : "out"
      case 11...13: direction = isSimple ? "in" : "inout"
      case 14: direction = random.pick(["replyport", "ureplyport", "sreplyport"])
      case 15: direction = random.pick(["waittime", "msgoption", "msgseqno"])
      default: direction = random.chance(50) ? "" : "in"
      }
      let name = argumentName()
      let type: String
      switch direction {
      case "replyport", "ureplyport", "sreplyport": type = "mach_port_make_send_once_t"
      case "waittime", "msgoption", "msgseqno": type = "natural_t"
      default:
        if random.chance(12) {
          let inlineName = freshName("i")
          type = "\(inlineName) = \(typeSpec(depth: 1).0)"
        } else if direction == "inout" && random.chance(85) {
          // Inline variable arrays cannot be inout; stay mostly valid.
          type = random.pick(dataTypeNames + ["mach_port_t", "mach_port_make_send_t", "pointer_t"])
        } else {
          type = random.pick(typeNames)
        }
      }
      var flags = ""
      if random.chance(15) {
        flags =
          ", " + random.pick(["dealloc", "dealloc[]", "notdealloc", "servercopy", "countinout", "IsLong", "IsNotLong"])
      }
      let prefix = direction.isEmpty ? "" : direction + " "
      arguments.append("\(prefix)\(name): \(type)\(flags)")
    }
    let keyword = isSimple ? "simpleroutine" : "routine"
    return "\(keyword) \(freshName("r"))(\(arguments.joined(separator: "; ")));"
  }
}
