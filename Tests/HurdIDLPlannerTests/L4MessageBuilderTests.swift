import Testing

@testable import HurdIDLPlanner

/// The packing, overflow and register-sharing rules on hand-made entries (no front end).
@Suite("L4 message builder")
struct L4MessageBuilderTests {
  func integer(_ bytes: Int, count: Int = 1) -> L4DataFacts {
    L4DataFacts(
      elementType: "MACH_MSG_TYPE_INTEGER_\(bytes * 8)", elementBits: bytes * 8, elementBytes: bytes,
      countMultiplier: 1, count: count,
      encoding: .integer, alignment: L4ShapeClassifier.alignment(elementBytes: bytes))
  }

  func capability(_ name: String) -> L4ItemPlan {
    var item = L4ItemPlan(name: name, kind: .capability, wordsEach: 2)
    item.disposition = .copySend
    item.receivedRight = .send
    return item
  }

  @Test("scalars are packed in argument order, each naturally aligned")
  func packing() {
    var builder = L4MessageBuilder(label: 7, hasReturnCode: false)
    builder.addField(name: "a", role: .value, facts: integer(1))
    builder.addField(name: "b", role: .value, facts: integer(2))
    builder.addField(name: "c", role: .value, facts: integer(4))
    builder.addField(name: "d", role: .value, facts: integer(8))
    builder.addField(name: "e", role: .value, facts: integer(1))
    builder.addField(name: "f", role: .value, facts: integer(4, count: 3))
    let plan = builder.build().plan
    #expect(plan.fields.map(\.byteOffset) == [0, 2, 4, 8, 16, 20])
    #expect(plan.fields.map(\.area) == Array(repeating: .words, count: 6))
    #expect(plan.untypedWords == 4)
    #expect(plan.fields[5].firstWord == 2 && plan.fields[5].wordSpan == 2)
    #expect(plan.typedWordsMinimum == 0 && plan.items.isEmpty && plan.label == 7)
  }

  @Test("a reply's RetCode is alone in word 0")
  func returnCode() {
    var builder = L4MessageBuilder(label: 107, hasReturnCode: true)
    builder.addField(name: "x", role: .value, facts: integer(1))
    let plan = builder.build().plan
    #expect(plan.fields.map(\.name) == ["RetCode", "x"])
    #expect(plan.fields.map(\.byteOffset) == [0, 8])
    #expect(plan.untypedWords == 2)
    var empty = L4MessageBuilder(label: 107, hasReturnCode: true)
    empty.addItem(capability("p"))
    #expect(empty.build().plan.untypedWords == 1)
  }

  @Test("what does not fit moves into the overflow string, largest first")
  func overflow() {
    var builder = L4MessageBuilder(label: 1, hasReturnCode: false)
    builder.addField(name: "small", role: .value, facts: integer(4))
    builder.addField(name: "big", role: .value, facts: integer(8, count: 40))
    builder.addField(name: "bigger", role: .value, facts: integer(8, count: 50))
    builder.addField(name: "last", role: .value, facts: integer(2))
    builder.addItem(capability("port"))
    let result = builder.build()
    let plan = result.plan
    #expect(result.unplaceableWords == nil)
    #expect(plan.fits)
    #expect(plan.items.map(\.kind) == [.overflow, .capability])
    let placed = Dictionary(uniqueKeysWithValues: plan.fields.map { ($0.name, $0) })
    #expect(placed["bigger"]?.area == .overflow && placed["bigger"]?.byteOffset == 0)
    #expect(placed["big"]?.area == .words && placed["big"]?.byteOffset == 8)
    #expect(placed["small"]?.area == .words && placed["last"]?.area == .words)
    #expect(plan.overflowBytes == 400)
    // small (4) + padding + big (320) + last (2) = 330 bytes = 42 words.
    #expect(plan.untypedWords == 42)
    #expect(plan.typedWordsMaximum == 4)
  }

  @Test("variable capability runs share the registers left, one element at a time")
  func runs() {
    var builder = L4MessageBuilder(label: 1, hasReturnCode: false)
    builder.addField(name: "x", role: .value, facts: integer(8, count: 50))
    for name in ["unbounded", "two"] {
      var run = L4ItemPlan(name: name, kind: .capabilityRun, wordsEach: 2)
      run.runIsVariable = true
      run.disposition = .copySend
      run.receivedRight = .send
      builder.addField(name: name + "Cnt", role: .runCount, parent: name, facts: L4MessageBuilder.countFacts)
      builder.addItem(run, declaredMaximum: name == "two" ? 2 : nil, countFieldName: name + "Cnt")
    }
    let plan = builder.build().plan
    // 50 words + 2 counts (1 word) = 51; 12 registers left: "two" gets 2, "unbounded" 4.
    #expect(plan.untypedWords == 51)
    #expect(plan.items.map(\.runCount) == [4, 2])
    #expect(plan.typedWordsMinimum == 0 && plan.typedWordsMaximum == 12)
    #expect(plan.items.map(\.countField) == [1, 2])
    #expect(plan.fits)
  }

  @Test("32 capabilities cannot fit: reported, not hidden")
  func unplaceable() {
    var builder = L4MessageBuilder(label: 1, hasReturnCode: false)
    builder.addField(name: "x", role: .value, facts: integer(4))
    for index in 0..<32 { builder.addItem(capability("p\(index)")) }
    let result = builder.build()
    #expect(!result.plan.fits)
    #expect(result.unplaceableWords == 66)
  }

  @Test("alignment is the largest power of two dividing the element size, at most 8")
  func alignment() {
    #expect(
      [0, 1, 2, 3, 4, 6, 8, 12, 16, 64].map(L4ShapeClassifier.alignment(elementBytes:)) == [
        1, 1, 2, 1, 4, 2, 8, 4, 8, 8,
      ])
  }
}
