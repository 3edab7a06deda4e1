import Testing

/// The generated-C reader on small hand-written excerpts in GNU MIG's shapes.
@Suite struct GeneratedCReaderTests {
  static let stub = """
    #include <mach/message.h>
    #define BAD_TYPECHECK(type, check) mig_unlikely (({\\
      _t.w != _c.w; }))

    /* Routine va */
    mig_external kern_return_t va
    (
    \tmach_port_t server
    )
    {
    #pragma pack(push,4)
    \ttypedef struct {
    \t\tmach_msg_header_t Head;
    \t\tmach_msg_type_t yType;
    \t\tunion {
    \t\t\tchar y[7];
    \t\t\tconst char *yP;
    \t\t};
    \t\tchar yPad[1];
    \t\tmach_msg_type_long_t zType;
    \t\tint z;
    \t} Request;
    #pragma pack(pop)
    \tconst mach_msg_type_t yType = {
    \t\t/* msgt_name = */\t\t(unsigned char) MACH_MSG_TYPE_CHAR,
    \t\t/* msgt_size = */\t\t8,
    \t};
    \t_Static_assert(sizeof(int) == 4 * 1, "expected int to be size 4 * 1");
    \tInP->yType.msgt_number = yCnt; if (InP->zType.msgtl_number == 3) InP->zType.msgtl_name += 1;
    \tInP->Head.msgh_bits = msgh_simple ?
    \t\tMACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) :
    \t\t(MACH_MSGH_BITS_COMPLEX|MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, rpPoly));
    }

    /* Default implementation of va */
    mig_external boolean_t demux(void)
    {
    \tconst mach_msg_type_t RetCodeType = {
    \t\t/* msgt_size = */\t\t32,
    \t};
    }
    """

  @Test func readsStructsTemplatesAndAsserts() throws {
    let file = try GeneratedCReader.read(Self.stub)
    #expect(file.includes == ["#include <mach/message.h>"])
    let va = try #require(file.routines["va"])
    let request = try #require(va.structs["Request"])
    #expect(request.fields.map(\.name) == ["Head", "yType", "y", "yP", "yPad", "zType", "z"])
    #expect(request.fields[2].arrayLength == 7 && request.fields[2].unionGroup == 0)
    #expect(request.fields[3].isPointer && request.fields[3].typeName == "const char")
    #expect(request.fields[4].unionGroup == nil)
    #expect(va.templates["yType"]?.literal("msgt_size") == "8")
    #expect(va.templates["yType"]?.isLong == false)
    #expect(va.staticAsserts == [CStaticAssert(typeName: "int", expected: "4 * 1")])
    #expect(file.template(named: "RetCodeType")?.literal("msgt_size") == "32")
  }

  @Test func findsRunTimeDescriptorAssignmentsButNotComparisons() throws {
    let va = try #require(try GeneratedCReader.read(Self.stub).routines["va"])
    let assignments = PlanReader.descriptorAssignments(in: va.lines, pointer: "InP")
    #expect(assignments["y"] == ["msgtNumber"])
    #expect(assignments["z"] == ["msgtName"])
  }

  @Test func readsHeaderBits() throws {
    let va = try #require(try GeneratedCReader.read(Self.stub).routines["va"])
    let bits = try #require(PlanReader.statement(in: va.lines, containing: "InP->Head.msgh_bits ="))
    let arguments = try #require(PlanReader.headerBitsArguments(bits))
    #expect(arguments.0 == "MACH_MSG_TYPE_COPY_SEND" && arguments.1 == "rpPoly")
    #expect(PlanReader.isConstant(arguments.0) && !PlanReader.isConstant(arguments.1))
  }

  @Test func readsReceiverChecks() {
    #expect(PlanReader.sizeCheck(in: "if ((In0P->Head.msgh_size != 40) ||")! == (40, false))
    #expect(PlanReader.sizeCheck(in: "msgh_size = x; if ((msgh_size < 52))")! == (52, true))
    #expect(PlanReader.sizeCheck(in: "msgh_size = In0P->Head.msgh_size;") == nil)
    let bit = "(In0P->Head.msgh_bits & MACH_MSGH_BITS_COMPLEX)"
    #expect(PlanReader.receiverComplexBit(in: "msgh_simple = !" + bit, pointer: "In0P") == .runtime)
    #expect(PlanReader.receiverComplexBit(in: "|| !" + bit + ")", pointer: "In0P") == .always)
    #expect(PlanReader.receiverComplexBit(in: "|| " + bit + ")", pointer: "In0P") == .never)
    #expect(PlanReader.receiverComplexBit(in: "", pointer: "In0P") == .unchecked)
    let checks = PlanReader.fieldChecks(
      in: ["(OutP->oType.msgt_inline != TRUE) ||", "(OutP->oType.msgt_size != 8)) ||", "x = 44 + OutP->oType.msgt_number"],
      item: "o")
    #expect(checks.map(\.0) == ["inline", "msgtSize"] && checks.map(\.1) == ["TRUE", "8"])
  }

  @Test func replyComplexBitFollowsTheServersAssignment() {
    #expect(PlanReader.replyComplexBit(in: ["\tif (!msgh_simple)", "\t\tOutP->Head.msgh_bits |= MACH_MSGH_BITS_COMPLEX;"]) == .runtime)
    #expect(PlanReader.replyComplexBit(in: ["\tOutP->Head.msgh_bits |= MACH_MSGH_BITS_COMPLEX;"]) == .always)
    #expect(PlanReader.replyComplexBit(in: ["\tOutP->Head.msgh_size = 48;"]) == .never)
  }

  @Test func rejectsWhatItDoesNotUnderstand() {
    #expect(throws: GeneratedCError.self) {
      _ = try GeneratedCReader.read("/* Routine r */\nvoid r(void)\n{\n\ttypedef struct {\n\t\tint x\n\t} Request;\n}\n")
    }
    #expect(throws: GeneratedCError.self) { _ = try GeneratedCReader.read("/* Routine r */\nvoid r(void)\n{\n") }
  }

  @Test func parsesTheListFile() throws {
    let list = try MIGOracle.parseList("t1 1000 r0 0 1000 1100\nt1 1000 r1 1 1001 0\n")
    #expect(list.subsystem == "t1" && list.base == 1000)
    #expect(list.routines.map(\.replyID) == [1100, 0])
    #expect(throws: OracleError.self) { _ = try MIGOracle.parseList("t1 1000 r0\n") }
  }
}
