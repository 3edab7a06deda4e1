import Foundation

/// The inputs the oracle runs on, and the shared, memoised oracle results.
enum OracleCases {
  static let machIncludeDirectory = MIGOracle.machIncludeDirectory

  /// The 19 interface files of gnumach-dev with their subsystem, base and routine/simpleroutine
  /// counts under default flags (reference §6).
  static let interfaces: [(path: String, subsystem: String, base: Int, routines: Int, simpleroutines: Int)] = [
    ("device/device.defs", "device", 2800, 12, 0),
    ("device/device_reply.defs", "device_reply", 2900, 0, 5),
    ("device/device_request.defs", "device_request", 2800, 0, 5),
    ("mach/bootstrap.defs", "bootstrap", 999_999, 1, 0),
    ("mach/default_pager.defs", "default_pager", 2275, 6, 0),
    ("mach/default_pager_helper.defs", "dp_helper", 888_888, 0, 1),
    ("mach/exc.defs", "exc", 2400, 1, 0),
    ("mach/experimental.defs", "experimental", 424_242, 3, 0),
    ("mach/gnumach.defs", "gnumach", 4200, 7, 5),
    ("mach/mach.defs", "mach", 2000, 37, 7),
    ("mach/mach4.defs", "mach4", 4000, 2, 0),
    ("mach/mach_host.defs", "mach_host", 2600, 38, 0),
    ("mach/mach_port.defs", "mach_port", 3200, 20, 0),
    ("mach/memory_object.defs", "memory_object", 2200, 0, 9),
    ("mach/memory_object_default.defs", "memory_object_default", 2250, 0, 2),
    ("mach/notify.defs", "notify", 64, 0, 6),
    ("mach/task_notify.defs", "task_notify", 4400, 0, 1),
    ("mach/x86_64/mach_i386.defs", "mach_i386", 3800, 6, 0),
    ("mach_debug/mach_debug.defs", "mach_debug", 3000, 12, 0),
  ]

  /// The flag sets of the front-end issue. `-D__x86_64__ -D__LP64__` are always passed (the driver
  /// does not predefine them), so the separate `-D__x86_64__` set is the default one.
  static let flagSets: [(name: String, flags: [String])] = [
    ("default", []),
    ("kernel-server", ["-DKERNEL_SERVER"]),
    ("kernel-user", ["-DKERNEL_USER"]),
    ("seqnos", ["-DSEQNOS"]),
  ]

  /// Experiments from mig-experiments/semantics/ that GNU MIG accepts (copied into Fixtures/).
  static let experiments = [
    "an", "br", "ci", "cm", "da", "err", "g2", "ie", "inh", "kw3", "mi", "mi2", "ppo", "sa", "sp", "t1",
    "t10", "t12", "t13", "t14", "t15", "t16", "t3", "t4", "t5", "t6", "t7", "t7u", "t8", "t9", "und", "w2",
  ]

  /// Our own fixtures in Fixtures/oracle/ (`kinds.defs`: every argument kind), by flag set.
  static let ownFixtures: [(name: String, flagSet: String, flags: [String])] = [
    ("kinds", "default", []),
    ("kinds", "kernel-server", ["-DKERNEL_SERVER"]),
    ("kinds", "kernel-user", ["-DKERNEL_USER"]),
  ]

  static func ownFixturePath(_ name: String) -> String {
    testDirectory.appendingPathComponent("Fixtures/oracle/\(name).defs").path
  }

  static let testDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  static let snapshotDirectory = testDirectory.appendingPathComponent("OracleSnapshots")

  static func experimentPath(_ name: String) -> String {
    testDirectory.appendingPathComponent("Fixtures/semantics/\(name).defs").path
  }

  static func interfacePath(_ relative: String) -> String {
    machIncludeDirectory + "/" + relative
  }

  /// `mach/mach_host.defs` + `kernel-user` → `mach_mach_host.kernel-user.json`.
  static func snapshotName(interface relative: String, flagSet: String) -> String {
    let stem = relative.replacingOccurrences(of: ".defs", with: "")
      .replacingOccurrences(of: "/", with: "_")
    return "\(stem).\(flagSet).json"
  }

  static func snapshotName(experiment name: String) -> String { "experiment_\(name).default.json" }

  static func snapshotName(ownFixture name: String, flagSet: String) -> String { "oracle_\(name).\(flagSet).json" }

  static let cache = OracleCache()

  static func encode(_ plan: OraclePlan) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let text = String(decoding: try encoder.encode(plan), as: UTF8.self)
    // Foundation prints an empty array as "[", a blank line and "]"; keep it on one line.
    return text.replacing(/\[\n\s*\n\s*\]/, with: "[]") + "\n"
  }
}

/// Every (file, flags) pair is run once per test process, whichever test asks first.
actor OracleCache {
  private var runs: [String: Task<MIGOracle.Result, any Error>] = [:]

  func result(defs path: String, flags: [String]) async throws -> MIGOracle.Result {
    let key = ([path] + flags).joined(separator: " ")
    if let running = runs[key] { return try await running.value }
    let task = Task<MIGOracle.Result, any Error> { try MIGOracle.run(defs: path, flags: flags) }
    runs[key] = task
    return try await task.value
  }
}
