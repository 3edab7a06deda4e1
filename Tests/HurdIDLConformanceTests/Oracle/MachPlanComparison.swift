/// The keys of the Mach plan JSON that are normative (docs/mach-oracle.md), and nothing else:
/// decoding `hurdidl dump plan --wire mach` output into this ignores the planner's extra keys, and
/// `MachPlanComparison` compares it with the oracle's plan routine by routine.
struct NormativeMachPlan: Codable, Sendable, Equatable {
  struct Subsystem: Codable, Sendable, Equatable {
    var name: String
    var base: Int
  }

  struct Routine: Codable, Sendable, Equatable {
    var name: String
    var kind: String
    var requestID: Int
    var replyID: Int?
    var request: Message
    var reply: Message?

    private enum CodingKeys: String, CodingKey {
      case name, kind, requestID, replyID, request, reply
    }

    init(
      name: String, kind: String, requestID: Int, replyID: Int?, request: Message, reply: Message?
    ) {
      self.name = name
      self.kind = kind
      self.requestID = requestID
      self.replyID = replyID
      self.request = request
      self.reply = reply
    }

    // `replyID` and `reply` must be present (as `null` for simpleroutines), not left out.
    init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: CodingKeys.self)
      for key in [CodingKeys.replyID, .reply] where !container.contains(key) {
        throw DecodingError.keyNotFound(
          key, .init(codingPath: container.codingPath, debugDescription: "write null, do not omit"))
      }
      name = try container.decode(String.self, forKey: .name)
      kind = try container.decode(String.self, forKey: .kind)
      requestID = try container.decode(Int.self, forKey: .requestID)
      replyID = try container.decode(Int?.self, forKey: .replyID)
      request = try container.decode(Message.self, forKey: .request)
      reply = try container.decode(Message?.self, forKey: .reply)
    }

    func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(name, forKey: .name)
      try container.encode(kind, forKey: .kind)
      try container.encode(requestID, forKey: .requestID)
      try container.encode(replyID, forKey: .replyID)
      try container.encode(request, forKey: .request)
      try container.encode(reply, forKey: .reply)
    }
  }

  struct Message: Codable, Sendable, Equatable {
    var size: Int
    var sizeIsMinimum: Bool
    var complex: ComplexBit
    var items: [Item]
  }

  struct Item: Codable, Sendable, Equatable {
    var name: String
    var descriptorOffset: Int
    var descriptorForm: String
    var dataOffset: Int
    var dataSize: Int
    var msgtName: Int
    var msgtSize: Int
    var msgtNumber: Int
    var inline: RuntimeBool
    var deallocate: RuntimeBool
  }

  var subsystem: Subsystem
  var routines: [Routine]
}

extension OraclePlan {
  var normative: NormativeMachPlan {
    NormativeMachPlan(
      subsystem: .init(name: subsystem.name, base: subsystem.base),
      routines: routines.map { routine in
        NormativeMachPlan.Routine(
          name: routine.name, kind: routine.kind, requestID: routine.requestID,
          replyID: routine.replyID, request: routine.request.normative, reply: routine.reply?.normative)
      })
  }
}

extension OracleMessage {
  var normative: NormativeMachPlan.Message {
    NormativeMachPlan.Message(
      size: size, sizeIsMinimum: sizeIsMinimum, complex: complex,
      items: items.map { item in
        NormativeMachPlan.Item(
          name: item.name, descriptorOffset: item.descriptorOffset, descriptorForm: item.descriptorForm,
          dataOffset: item.dataOffset, dataSize: item.dataSize, msgtName: item.msgtName,
          msgtSize: item.msgtSize, msgtNumber: item.msgtNumber, inline: item.inline,
          deallocate: item.deallocate)
      })
  }
}

/// Readable differences between the oracle's plan (`expected`) and a planner's (`actual`), one line
/// per differing value, e.g. `routine va: request item z: dataOffset: expected 92, got 96`.
enum MachPlanComparison {
  static func differences(expected: NormativeMachPlan, actual: NormativeMachPlan) -> [String] {
    var out: [String] = []
    func check<T: Equatable>(_ what: String, _ left: T, _ right: T) {
      if left != right { out.append("\(what): expected \(left), got \(right)") }
    }
    check("subsystem", expected.subsystem.name, actual.subsystem.name)
    check("subsystem base", expected.subsystem.base, actual.subsystem.base)
    check("routine names", expected.routines.map(\.name), actual.routines.map(\.name))
    for (left, right) in zip(expected.routines, actual.routines) where left.name == right.name {
      let at = "routine \(left.name)"
      check("\(at): kind", left.kind, right.kind)
      check("\(at): requestID", left.requestID, right.requestID)
      check("\(at): replyID", left.replyID.map(String.init) ?? "null", right.replyID.map(String.init) ?? "null")
      compare(left.request, right.request, at: "\(at): request", into: &out)
      switch (left.reply, right.reply) {
      case (let leftReply?, let rightReply?): compare(leftReply, rightReply, at: "\(at): reply", into: &out)
      case (nil, nil): break
      default: out.append("\(at): reply: expected \(left.reply == nil ? "null" : "a reply"), got the other")
      }
    }
    return out
  }

  private static func compare(
    _ left: NormativeMachPlan.Message, _ right: NormativeMachPlan.Message, at: String,
    into out: inout [String]
  ) {
    func check<T: Equatable>(_ what: String, _ a: T, _ b: T) {
      if a != b { out.append("\(at)\(what): expected \(a), got \(b)") }
    }
    check(": size", left.size, right.size)
    check(": sizeIsMinimum", left.sizeIsMinimum, right.sizeIsMinimum)
    check(": complex", left.complex.rawValue, right.complex.rawValue)
    check(": items", left.items.map(\.name), right.items.map(\.name))
    for (a, b) in zip(left.items, right.items) where a.name == b.name {
      let item = " item \(a.name): "
      check(item + "descriptorOffset", a.descriptorOffset, b.descriptorOffset)
      check(item + "descriptorForm", a.descriptorForm, b.descriptorForm)
      check(item + "dataOffset", a.dataOffset, b.dataOffset)
      check(item + "dataSize", a.dataSize, b.dataSize)
      check(item + "msgtName", a.msgtName, b.msgtName)
      check(item + "msgtSize", a.msgtSize, b.msgtSize)
      check(item + "msgtNumber", a.msgtNumber, b.msgtNumber)
      check(item + "inline", "\(a.inline)", "\(b.inline)")
      check(item + "deallocate", "\(a.deallocate)", "\(b.deallocate)")
    }
  }
}
