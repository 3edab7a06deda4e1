/// Lays out one message from its entries (in argument order): packs fixed data into untyped
/// words, moves the largest data into the overflow string until everything fits, orders the
/// typed items, and shares the registers that are left between variable capability runs.
struct L4MessageBuilder {
  /// A fixed datum to place by value.
  struct FieldEntry {
    var name: String
    var role: L4FieldPlan.Role
    var parent: String?
    var facts: L4DataFacts
  }

  /// A typed item (or run) owned by one argument.
  struct ItemEntry {
    var item: L4ItemPlan
    /// Variable runs: the declared maximum in Count elements (nil = none).
    var declaredMaximum: Int?
    /// Variable runs: the name of the count field.
    var countFieldName: String?
    var isVariableRun: Bool { item.kind == .capabilityRun && (item.runIsVariable ?? false) }
  }

  let label: UInt32
  /// Replies: the RetCode sits alone in word 0.
  let hasReturnCode: Bool
  /// Registers the transport fills before the plan's words (requests: the capability id).
  let reservedWords: Int
  private(set) var fields: [FieldEntry] = []
  private(set) var items: [ItemEntry] = []

  init(label: UInt32, hasReturnCode: Bool, reservedWords: Int = 0) {
    self.label = label
    self.hasReturnCode = hasReturnCode
    self.reservedWords = reservedWords
  }

  mutating func addField(name: String, role: L4FieldPlan.Role, parent: String? = nil, facts: L4DataFacts) {
    fields.append(FieldEntry(name: name, role: role, parent: parent, facts: facts))
  }

  mutating func addItem(_ item: L4ItemPlan, declaredMaximum: Int? = nil, countFieldName: String? = nil) {
    items.append(ItemEntry(item: item, declaredMaximum: declaredMaximum, countFieldName: countFieldName))
  }

  /// The facts of a 32-bit count word (`mach_msg_type_number_t`).
  static let countFacts = L4DataFacts(
    elementType: "MACH_MSG_TYPE_INTEGER_32", elementBits: 32, elementBytes: 4, countMultiplier: 1, count: 1,
    encoding: .integer, alignment: 4)

  struct Result {
    var plan: L4MessagePlan
    /// Field and item indices by owner, for locations.
    var fieldIndex: [String: Int]
    var itemIndex: [String: Int]
    /// Registers needed (reserved words included) when every fixed datum is in the overflow
    /// string and every run is at its smallest, if that is still more than 63.
    var unplaceableWords: Int?
  }

  func build() -> Result {
    let regularItems = items.filter { !$0.isVariableRun }
    let variableRuns = items.filter(\.isVariableRun)
    let fixedItemWords = regularItems.reduce(0) { $0 + $1.item.maximumWords }
    // Every variable run keeps room for at least one element (when it may have any).
    let runFloor = variableRuns.reduce(0) { total, run in
      total + ((run.declaredMaximum ?? 1) > 0 ? run.item.wordsEach : 0)
    }
    let budget = L4Wire.payloadRegisters - reservedWords - fixedItemWords - runFloor

    // Largest first (later argument on ties) into the overflow string until the rest fits.
    var spilled = Set<Int>()
    var wordLayout = Self.pack(fields, area: .words, start: hasReturnCode ? L4Wire.wordBytes : 0)
    func registers() -> Int {
      let words = (wordLayout.end + L4Wire.wordBytes - 1) / L4Wire.wordBytes
      return words + (spilled.isEmpty ? 0 : L4Wire.stringItemWords)
    }
    let spillOrder = fields.indices.sorted { lhs, rhs in
      let left = fields[lhs].facts.byteSize
      let right = fields[rhs].facts.byteSize
      return left != right ? left > right : lhs > rhs
    }
    var nextSpill = 0
    while registers() > budget && nextSpill < spillOrder.count {
      spilled.insert(spillOrder[nextSpill])
      nextSpill += 1
      wordLayout = Self.pack(
        fields.enumerated().filter { !spilled.contains($0.offset) }.map(\.element), area: .words,
        start: hasReturnCode ? L4Wire.wordBytes : 0)
    }
    let overflowLayout = Self.pack(
      fields.enumerated().filter { spilled.contains($0.offset) }.map(\.element), area: .overflow, start: 0)
    let untypedWords = max(hasReturnCode ? 1 : 0, (wordLayout.end + L4Wire.wordBytes - 1) / L4Wire.wordBytes)
    let overflowWords = spilled.isEmpty ? 0 : L4Wire.stringItemWords
    let unplaceable: Int? =
      untypedWords + overflowWords > budget
      ? reservedWords + untypedWords + overflowWords + fixedItemWords + runFloor : nil

    var fieldPlans: [L4FieldPlan] = []
    if hasReturnCode {
      fieldPlans.append(
        L4FieldPlan(
          name: "RetCode", role: .returnCode, area: .words, byteOffset: 0, byteSize: 4, alignment: 4,
          elementType: "MACH_MSG_TYPE_INTEGER_32", elementBits: 32, elementBytes: 4, elementCount: 1,
          encoding: .integer))
    }
    fieldPlans += wordLayout.fields + overflowLayout.fields
    var fieldIndex: [String: Int] = [:]
    for (index, field) in fieldPlans.enumerated() { fieldIndex[Self.key(field.name, field.role)] = index }

    // Items: overflow, then regular items in argument order, then variable runs.
    var itemPlans: [L4ItemPlan] = []
    if !spilled.isEmpty {
      var overflow = L4ItemPlan(name: "overflow", kind: .overflow, wordsEach: L4Wire.stringItemWords)
      overflow.maximumBytes = overflowLayout.end
      itemPlans.append(overflow)
    }
    itemPlans += regularItems.map(\.item)
    var runPlans = variableRuns.map { run -> L4ItemPlan in
      var plan = run.item
      plan.runCount = 0
      if let name = run.countFieldName { plan.countField = fieldIndex[Self.key(name, .runCount)] }
      return plan
    }
    // Share what is left one element at a time, in argument order, up to each declared maximum.
    var left = L4Wire.payloadRegisters - reservedWords - untypedWords - overflowWords - fixedItemWords
    var grew = true
    while grew {
      grew = false
      for index in runPlans.indices {
        let current = runPlans[index].runCount ?? 0
        let maximum = variableRuns[index].declaredMaximum ?? Int.max
        let cost = runPlans[index].wordsEach
        if current < maximum && cost <= left && cost > 0 {
          runPlans[index].runCount = current + 1
          left -= cost
          grew = true
        }
      }
    }
    for index in runPlans.indices { runPlans[index].maximumElements = runPlans[index].runCount }
    itemPlans += runPlans
    var itemIndex: [String: Int] = [:]
    for (index, item) in itemPlans.enumerated() where item.kind != .overflow { itemIndex[item.name] = index }

    let minimumTyped = itemPlans.reduce(0) { $0 + $1.minimumWords }
    let maximumTyped = itemPlans.reduce(0) { $0 + $1.maximumWords }
    let plan = L4MessagePlan(
      label: label, untypedWords: untypedWords, typedWordsMinimum: minimumTyped, typedWordsMaximum: maximumTyped,
      fields: fieldPlans, overflowBytes: spilled.isEmpty ? nil : overflowLayout.end, items: itemPlans,
      reservedWords: reservedWords == 0 ? nil : reservedWords)
    return Result(plan: plan, fieldIndex: fieldIndex, itemIndex: itemIndex, unplaceableWords: unplaceable)
  }

  static func key(_ name: String, _ role: L4FieldPlan.Role) -> String { "\(role.rawValue):\(name)" }

  /// Places fields one after another in argument order, each at the next multiple of its
  /// alignment.
  static func pack(_ entries: [FieldEntry], area: L4FieldArea, start: Int) -> (fields: [L4FieldPlan], end: Int) {
    var offset = start
    var placed: [L4FieldPlan] = []
    for entry in entries {
      let facts = entry.facts
      let alignment = max(1, facts.alignment)
      offset = (offset + alignment - 1) / alignment * alignment
      let size = facts.byteSize
      placed.append(
        L4FieldPlan(
          name: entry.name, role: entry.role, parent: entry.parent, area: area, byteOffset: offset, byteSize: size,
          alignment: alignment, elementType: facts.elementType, elementBits: facts.elementBits,
          elementBytes: facts.elementBytes, elementCount: facts.count, encoding: facts.encoding))
      offset += size
    }
    return (placed, offset)
  }
}
