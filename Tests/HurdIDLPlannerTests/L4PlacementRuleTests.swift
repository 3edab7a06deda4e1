import HurdIDLPlanner
import Testing

/// One test per row of the placement table in docs/plans.md, through the whole pipeline.
@Suite("L4 placement rules")
struct L4PlacementRuleTests {
  /// Plans `routines` (after `subsystem r 100;` and std_types.defs) and returns the first routine.
  func plan(_ declarations: String) throws -> L4RoutinePlan {
    let checked = check(text: "subsystem r 100;\n#include <mach/std_types.defs>\n" + declarations)
    guard let interface = checked.interface else {
      Issue.record("rejected:\n\(checked.renderedErrors)")
      throw RuleTestFailure()
    }
    let plan = L4Planner.plan(interface)
    #expect(plan.problems.isEmpty)
    return try #require(plan.routines.first)
  }

  struct RuleTestFailure: Error {}

  func field(_ message: L4MessagePlan?, _ name: String) -> L4FieldPlan? {
    message?.fields.first { $0.name == name }
  }

  func item(_ message: L4MessagePlan?, _ name: String) -> L4ItemPlan? {
    message?.items.first { $0.name == name }
  }

  func argument(_ routine: L4RoutinePlan, _ name: String) -> L4ArgumentPlan? {
    routine.arguments.first { $0.name == name }
  }

  @Test("ids: label = request id, reply label = id + 100; skip advances")
  func ids() throws {
    let routine = try plan("skip 2;\nroutine r(p: mach_port_t);")
    #expect(routine.requestID == 102 && routine.replyID == 202)
    #expect(routine.request.label == 102 && routine.reply?.label == 202)
    #expect(routine.request.untypedWords == 0 && routine.reply?.untypedWords == 1)
  }

  @Test("booleans take one byte; an 8-byte scalar after them is aligned to 8")
  func booleans() throws {
    let routine = try plan("routine r(p: mach_port_t; a: boolean_t; b: boolean_t; c: int64_t);")
    #expect(field(routine.request, "a")?.byteSize == 1 && field(routine.request, "a")?.encoding == .boolean)
    #expect(field(routine.request, "b")?.byteOffset == 1)
    #expect(field(routine.request, "c")?.byteOffset == 8)
    #expect(routine.request.untypedWords == 2)
  }

  @Test("out and inout values follow the RetCode word")
  func replyOrder() throws {
    let routine = try plan("routine r(p: mach_port_t; out a: short; inout b: int; in c: char);")
    #expect(routine.reply?.fields.map(\.name) == ["RetCode", "a", "b"])
    #expect(routine.reply?.fields.map(\.byteOffset) == [0, 8, 12])
    #expect(routine.request.fields.map(\.name) == ["b", "c"])
    #expect(argument(routine, "b")?.request == L4Location(.field, 0))
    #expect(argument(routine, "b")?.reply == L4Location(.field, 2))
  }

  @Test("bit arrays are packed; odd sizes are bytes")
  func bitsAndBytes() throws {
    let routine = try plan(
      "type b = array[12] of MACH_MSG_TYPE_BIT;\ntype o = (MACH_MSG_TYPE_INTEGER_32, 24);\nroutine r(p: mach_port_t; x: b; y: o);"
    )
    #expect(field(routine.request, "x")?.byteSize == 2 && field(routine.request, "x")?.encoding == .bits)
    #expect(field(routine.request, "y")?.byteSize == 3 && field(routine.request, "y")?.encoding == .bytes)
  }

  @Test("fixed data beyond 63 registers moves into one overflow string, largest first")
  func overflow() throws {
    let routine = try plan(
      "type w = array[30] of int64_t;\ntype v = array[40] of int64_t;\nroutine r(p: mach_port_t; a: w; b: v; c: int);")
    #expect(routine.request.items.first?.kind == .overflow)
    #expect(field(routine.request, "b")?.area == .overflow)
    #expect(field(routine.request, "a")?.area == .words && field(routine.request, "c")?.area == .words)
    #expect(routine.request.overflowBytes == 320)
    #expect(routine.request.untypedWords + routine.request.typedWordsMaximum <= 63)
  }

  @Test("bounded arrays are strings with their declared maximum; the count is the item's length")
  func boundedArrays() throws {
    let routine = try plan(
      "type q = array[4] of char;\ntype l = array[*:10] of q;\nroutine r(p: mach_port_t; x: l; out y: l);")
    let x = try #require(item(routine.request, "x"))
    #expect(x.kind == .string && x.maximumElements == 10 && x.maximumBytes == 40 && x.countMultiplier == 4)
    #expect(argument(routine, "xCnt")?.request == L4Location(.itemCount, 0))
    #expect(argument(routine, "yCnt")?.reply == L4Location(.itemCount, 0))
  }

  @Test("c_string: text without NUL, at most N − 1 bytes")
  func cStrings() throws {
    let routine = try plan("type s = c_string[32];\ntype v = c_string[*:40];\nroutine r(p: mach_port_t; a: s; b: v);")
    #expect(item(routine.request, "a")?.maximumBytes == 31 && item(routine.request, "a")?.isText == true)
    #expect(item(routine.request, "b")?.maximumBytes == 39 && item(routine.request, "b")?.isVariable == true)
  }

  @Test("array[]: string up to 2048 bytes, region above; no declared maximum")
  func indefinite() throws {
    let routine = try plan("type u = array[] of int;\nroutine r(p: mach_port_t; x: u, servercopy);")
    let x = try #require(item(routine.request, "x"))
    #expect(x.kind == .stringOrRegion && x.stringLimitBytes == 2048 && x.maximumElements == nil && x.transfer == .map)
    #expect(argument(routine, "xSCopy")?.outOfBand == .serverHint)
  }

  @Test("out-of-line data: map without dealloc, grant with it, chosen per call with dealloc[]")
  func regions() throws {
    let routine = try plan(
      "routine r(p: mach_port_t; a: pointer_t; b: pointer_t, dealloc; c: pointer_t, dealloc[]; d: pointer_t, notdealloc);"
    )
    #expect(["a", "b", "c", "d"].map { item(routine.request, $0)?.transfer } == [.map, .grant, .runtime, .map])
    #expect(["a", "b", "c", "d"].map { item(routine.request, $0)?.kind } == Array(repeating: .region, count: 4))
    #expect(argument(routine, "cDealloc")?.request == L4Location(.itemTransfer, 2))
  }

  @Test("inout rights and regions travel both ways, their companions with them")
  func inoutItems() throws {
    let routine = try plan("routine r(p: mach_port_t; inout a: mach_port_poly_t; inout b: pointer_t, dealloc[]);")
    #expect(argument(routine, "a")?.request == L4Location(.item, 0))
    #expect(argument(routine, "a")?.reply == L4Location(.item, 0))
    #expect(argument(routine, "aPoly")?.request == L4Location(.itemDisposition, 0))
    #expect(argument(routine, "aPoly")?.reply == L4Location(.itemDisposition, 0))
    #expect(argument(routine, "bDealloc")?.request == L4Location(.itemTransfer, 1))
    #expect(argument(routine, "bDealloc")?.reply == L4Location(.itemTransfer, 1))
  }

  @Test("a Dealloc companion of data that travels by copy decides nothing")
  func deallocOnCopiedData() throws {
    let routine = try plan("type l = array[*:4] of int;\nroutine r(p: mach_port_t; x: l, dealloc[]);")
    let companion = try #require(argument(routine, "xDealloc"))
    #expect(companion.outOfBand == .unused && companion.request == nil)
    #expect(item(routine.request, "x")?.kind == .string)
  }

  @Test("ports: one capability each, disposition from the in-name, right from the out-name; poly at run time")
  func ports() throws {
    let routine = try plan(
      """
      routine r(p: mach_port_t; a: mach_port_move_send_t; b: mach_port_make_send_once_t; \
      c: mach_port_move_receive_t; d: mach_port_poly_t; e: mach_port_send_t; f: mach_port_name_t);
      """)
    let items = routine.request.items
    #expect(items.map(\.disposition) == [.moveSend, .makeSendOnce, .moveReceive, .runtime, .runtime])
    #expect(items.map(\.receivedRight) == [.send, .sendOnce, .receive, .any, .send])
    #expect(argument(routine, "dPoly")?.request == L4Location(.itemDisposition, 3))
    #expect(field(routine.request, "f")?.byteSize == 4)
  }

  @Test("port arrays are runs; variable runs carry a count word and come last")
  func portArrays() throws {
    let routine = try plan(
      """
      type two = array[2] of mach_port_t;
      type few = array[*:3] of mach_port_t;
      routine r(p: mach_port_t; a: few; b: two; c: mach_port_array_t; d: int);
      """)
    #expect(routine.request.items.map(\.name) == ["b", "a", "c"])
    #expect(item(routine.request, "b")?.runCount == 2 && item(routine.request, "b")?.runIsVariable == false)
    #expect(item(routine.request, "a")?.runCount == 3)
    let c = try #require(item(routine.request, "c"))
    // 63 − u (aCnt, cCnt, d: 2 words) − b (4) − a (6) = 51 registers → 25 rights.
    #expect(c.runIsVariable == true && c.runCount == 25)
    #expect(routine.request.typedWordsMinimum == 4 && routine.request.typedWordsMaximum == 60)
    #expect(argument(routine, "aCnt")?.request == L4Location(.field, 0))
  }

  @Test("request port, reply ports, waittime, msgoption, msgseqno do not travel as data")
  func outOfBand() throws {
    let routine = try plan(
      """
      routine r(requestport p: mach_port_poly_t; replyport q: mach_port_make_send_once_t; \
      waittime w: natural_t; msgoption o: natural_t; msgseqno s: mach_port_seqno_t);
      """)
    #expect(argument(routine, "p")?.outOfBand == .target && argument(routine, "pPoly")?.outOfBand == .target)
    #expect(argument(routine, "q")?.outOfBand == .replyChannel)
    #expect(argument(routine, "w")?.outOfBand == .callTimeout)
    #expect(argument(routine, "o")?.outOfBand == .callOptions)
    #expect(argument(routine, "s")?.outOfBand == .serverContext)
    #expect(routine.request.fields.isEmpty && routine.request.items.isEmpty)
  }

  @Test("simpleroutines: no reply; the RetCode is the send's result")
  func simpleroutine() throws {
    let routine = try plan("simpleroutine r(p: mach_port_t; x: int);")
    #expect(routine.reply == nil && routine.replyID == nil)
    #expect(argument(routine, "RetCode")?.outOfBand == .sendResult)
  }

  @Test("CountInOut: the caller's capacity is a request word")
  func countInOut() throws {
    let routine = try plan("type l = array[*:16] of int;\nroutine r(p: mach_port_t; out x: l, CountInOut);")
    let counts = routine.arguments.filter { $0.name == "xCnt" }
    #expect(counts.map(\.role) == [.countInOut, .count])
    #expect(counts.map(\.request) == [L4Location(.field, 0), nil])
    #expect(counts.map(\.reply) == [nil, L4Location(.itemCount, 0)])
    #expect(routine.request.fields.first?.role == .countInOut)
  }

  @Test("32 single rights cannot fit: the routine is listed as a problem")
  func tooManyRights() {
    let arguments = (0..<32).map { "in c\($0): mach_port_t" }.joined(separator: "; ")
    let checked = check(
      text: "subsystem r 100;\n#include <mach/std_types.defs>\nroutine r(p: mach_port_t; \(arguments));")
    guard let interface = checked.interface else {
      Issue.record("rejected:\n\(checked.renderedErrors)")
      return
    }
    let plan = L4Planner.plan(interface)
    #expect(plan.problems.map(\.routine) == ["r"])
    #expect(plan.problems.first?.requiredWords == 65)  // 32 × 2 + the capability id
    #expect(plan.routines.first?.request.fits == false)
  }

  @Test("requests leave word 0 to the capability id: 62 registers for arguments; replies have 63")
  func capabilityWordIsReserved() throws {
    let full = try plan("type w62 = array[62] of int64_t;\nroutine r(p: mach_port_t; x: w62; out y: w62);")
    #expect(full.request.reservedWords == 1 && full.request.untypedWords == 62 && full.request.items.isEmpty)
    #expect(full.request.fits)
    #expect(full.reply?.reservedWords == nil && full.reply?.untypedWords == 63 && full.reply?.items.isEmpty == true)
    // One word more: the array moves into the overflow string, in the request and in the reply.
    let over = try plan("type w63 = array[63] of int64_t;\nroutine r(p: mach_port_t; x: w63; out y: w63);")
    #expect(over.request.untypedWords == 0 && over.request.overflowBytes == 504)
    #expect(over.reply?.untypedWords == 1 && over.reply?.overflowBytes == 504)
    // 31 rights fill a request exactly; a 32-bit scalar beside them no longer fits (it did when
    // the plan could use all 63 registers).
    let rights = (0..<31).map { "in c\($0): mach_port_t" }.joined(separator: "; ")
    #expect(try plan("routine r(p: mach_port_t; \(rights));").request.fits)
    let checked = check(
      text: "subsystem r 100;\n#include <mach/std_types.defs>\nroutine r(p: mach_port_t; \(rights); x: int);")
    let interface = try #require(checked.interface)
    let problem = try #require(L4Planner.plan(interface).problems.first)
    #expect(problem.message == "request" && problem.requiredWords == 65)
    #expect(problem.explanation.contains("one of which carries the capability id"))
  }
}
