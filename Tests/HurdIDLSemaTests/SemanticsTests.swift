import Foundation
import HurdIDLCompiler
import HurdIDLSema
import HurdIDLSource
import Testing

/// Focused checks of GNU MIG's static semantics against the facts of reference §3–§4.
@Suite struct SemanticsTests {
  func interface(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> CheckedInterface {
    try #require(Paths.hasGNUMach, Paths.missingGNUMach)
    let checked = checkText(text)
    #expect(checked.errors.isEmpty, "\(checked.rendered)", sourceLocation: sourceLocation)
    return try #require(checked.interface, sourceLocation: sourceLocation)
  }

  func routine(_ interface: CheckedInterface, _ name: String) throws -> CheckedRoutine {
    try #require(interface.routine(named: name))
  }

  // MARK: Message ids (§4.1, experiment t1)

  @Test func idsFollowTheRunningIndexWithSkips() throws {
    let model = try interface(
      """
      subsystem t1 1000;
      #include <mach/std_types.defs>
      routine r0(server : mach_port_t; in a : int; out b : int);
      simpleroutine r1(server : mach_port_t; a : int);
      skip;
      routine r3(server : mach_port_t);
      skip 3;
      routine r7(server : mach_port_t; inout c : int);
      """)
    #expect(model.routines.map(\.index) == [0, 1, 3, 7])
    #expect(model.routines.map(\.requestID) == [1000, 1001, 1003, 1007])
    #expect(model.routines.map(\.replyID) == [1100, nil, 1103, 1107])
    #expect(model.messageIDCount == 8)
  }

  @Test func trailingSkipsCountInTheTable() throws {
    let model = try interface("subsystem s 10;\n#include <mach/std_types.defs>\nroutine a(p: mach_port_t);\nskip 2;")
    #expect(model.messageIDCount == 3)
  }

  @Test func baseOverflowIsAnError() throws {
    try #require(Paths.hasGNUMach, Paths.missingGNUMach)
    let checked = checkText(
      "subsystem s 4294967295;\n#include <mach/std_types.defs>\nroutine a(p: mach_port_t);\nroutine b(p: mach_port_t);")
    // 'a' has id 4294967295 but its reply id overflows; 'b' overflows itself.
    #expect(checked.codes == [.messageIDOverflow, .messageIDOverflow])
  }

  @Test func simpleRoutineAtTheTopIdIsFine() throws {
    let model = try interface("subsystem s 4294967295;\n#include <mach/std_types.defs>\nsimpleroutine a(p: mach_port_t);")
    #expect(model.routines.first?.requestID == 4_294_967_295)
  }

  // MARK: Request port inference (§3.4, experiment da)

  @Test func firstDirectionlessArgumentIsTheRequestPort() throws {
    let r = try routine(interface("subsystem da 1;\n#include <mach/std_types.defs>\nroutine r(in x: int; p: mach_port_t; q: int);"), "r")
    #expect(r.arguments[r.requestPort].name == "p")
    #expect(r.arguments.first { $0.name == "q" }?.kind == .in)
    #expect(r.arguments.first { $0.name == "x" }?.kind == .in)
  }

  @Test func laterRequestPortWinsWithAWarning() throws {
    try #require(Paths.hasGNUMach, Paths.missingGNUMach)
    let checked = checkText(
      "subsystem s 1;\n#include <mach/std_types.defs>\nroutine r(p: mach_port_t; requestport q: mach_port_t);")
    #expect(checked.codes == [.multipleSpecialArguments])
    let r = try #require(checked.interface?.routines.first)
    #expect(r.arguments[r.requestPort].name == "q")
    #expect(r.arguments.first { $0.name == "p" }?.kind == .requestPort)
  }

  @Test func polymorphicRequestPortIsAccepted() throws {
    let r = try routine(interface("subsystem s 1;\n#include <mach/std_types.defs>\nroutine r(p: mach_port_poly_t);"), "r")
    #expect(r.arguments[r.requestPort].type.inName.isPolymorphic)
    let poly = try #require(r.arguments.first { $0.name == "pPoly" })
    #expect(poly.type.inTran == "MACH_MSGH_BITS_REQUEST")
  }

  // MARK: Argument order (§4.3, experiment t14)

  @Test func companionsFollowTheirArgumentInGNUOrder() throws {
    let model = try interface(
      """
      subsystem t14 1400;
      #include <mach/std_types.defs>
      type pa = array[] of mach_port_poly_t;
      routine r(server: mach_port_t; in x: pa, dealloc[], servercopy);
      routine r2(server: mach_port_t; out y: pa, dealloc[]);
      """)
    let r = try routine(model, "r")
    #expect(
      r.arguments.map(\.name) == [
        "dummy MsgOption arg", "RetCode", "server", "dummy ReplyPort arg", "dummy ReplyPort arg", "x", "xPoly", "xCnt",
        "xDealloc", "xSCopy",
      ])
    #expect(r.arguments.filter(\.isUserParameter).map(\.name) == ["server", "x", "xPoly", "xCnt", "xDealloc"])
    #expect(r.arguments.filter(\.isServerParameter).map(\.name) == ["server", "x", "xPoly", "xCnt", "xSCopy"])
    let x = try #require(r.arguments.firstIndex { $0.name == "x" })
    #expect(r.arguments[x].companions == Companions(poly: x + 1, count: x + 2, dealloc: x + 3, serverCopy: x + 4))
    #expect(r.arguments[x + 1].parent == x)
    #expect(r.arguments[x].isServerCopy)
    #expect(r.arguments[x].deallocate == .maybe)

    let r2 = try routine(model, "r2")
    #expect(r2.arguments.filter(\.isServerParameter).map(\.name) == ["server", "y", "yPoly", "yCnt", "yDealloc"])
    #expect(r2.arguments.filter(\.isUserParameter).map(\.name) == ["server", "y", "yPoly", "yCnt"])
    #expect(r2.arguments.first { $0.name == "y" }?.traits.contains(.pointer) == true)
  }

  @Test func countInOutComesBeforeTheCount() throws {
    let r = try routine(
      interface(
        """
        subsystem t4 4000;
        #include <mach/std_types.defs>
        type vararr = array[*:10] of int;
        routine vc(server : mach_port_t; out x : vararr, CountInOut);
        """), "vc")
    let x = try #require(r.arguments.firstIndex { $0.name == "x" })
    #expect(r.arguments[x + 1].kind == .countInOut)
    #expect(r.arguments[x + 2].kind == .count)
    #expect(r.requestItems.map(\.name) == ["xCnt"])
    #expect(r.replyItems.map(\.name) == ["RetCode", "x"])
    #expect(r.arguments[x + 1].isByReferenceUser)
  }

  @Test func implicitArgumentsTakeGNUPlaces() throws {
    let model = try interface(
      """
      subsystem t6 6000;
      #include <mach/std_types.defs>
      waittime 500;
      msgoption MACH_SEND_INTERRUPT;
      routine p2(server : mach_port_t; replyport rp : mach_port_make_send_once_t; msgseqno seq : mach_port_seqno_t);
      simpleroutine p3(server : mach_port_t; in x : int);
      """)
    let p2 = try routine(model, "p2")
    // msgoption goes right after msgseqno, waittime after msgoption; no default reply port.
    #expect(
      p2.arguments.map(\.name) == ["RetCode", "server", "rp", "seq", "dummy MsgOption arg", "dummy WaitTime arg"])
    #expect(p2.arguments[p2.msgOptionArgument].value == "MACH_SEND_INTERRUPT")
    #expect(p2.arguments[p2.waitTimeArgument ?? 0].value == "500")
    #expect(p2.userReplyPort == p2.serverReplyPort)
    let p3 = try routine(model, "p3")
    #expect(p3.arguments[p3.userReplyPort].type.inName.value == 0)
    #expect(p3.arguments[p3.userReplyPort].kind == .userReplyPort)
    #expect(p3.arguments[p3.serverReplyPort].kind == .serverReplyPort)
    #expect(p3.replyItems.isEmpty)
    let routineDefault = try routine(
      interface("subsystem s 1;\n#include <mach/std_types.defs>\nroutine r(p: mach_port_t);"), "r")
    #expect(routineDefault.arguments[routineDefault.userReplyPort].type.inName.spelling == "MACH_MSG_TYPE_MAKE_SEND_ONCE")
    #expect(routineDefault.arguments[routineDefault.msgOptionArgument].value == "MACH_MSG_OPTION_NONE")
    #expect(routineDefault.waitTimeArgument == nil)
  }

  // MARK: Positional options (§4.2, §4.13; experiments sp, w2)

  @Test func optionsArePositionalAndServerDemuxIsLastWins() throws {
    let model = try interface(
      """
      subsystem sp 1;
      #include <mach/std_types.defs>
      waittime -1;
      routine a(p: mach_port_t);
      userprefix U_;
      serverprefix S_;
      nowaittime;
      routine b(p: mach_port_t);
      serverdemux first_demux;
      serverdemux second_demux;
      """)
    let a = try routine(model, "a")
    let b = try routine(model, "b")
    #expect([a.userName, a.serverName, b.userName, b.serverName] == ["a", "a", "U_b", "S_b"])
    #expect(a.waitTime == "-1")
    #expect(b.waitTime == nil)
    #expect(model.subsystem?.serverDemux == "second_demux")
  }

  // MARK: C types (§3.3, experiments an, inh)

  @Test func cTypeAnnotationsOverrideLeftToRight() throws {
    try #require(Paths.hasGNUMach, Paths.missingGNUMach)
    let checked = checkText(
      """
      subsystem an 1;
      #include <mach/std_types.defs>
      type a = int ctype: A_t cservertype: B_t;
      type b = int cservertype: B_t ctype: A_t;
      routine r(p: mach_port_t; x: a; y: b);
      """)
    #expect(checked.codes == [.conflictingCType, .conflictingCType])
    let model = try #require(checked.interface)
    let a = try #require(model.type(named: "a"))
    let b = try #require(model.type(named: "b"))
    #expect([a.cUserType, a.cServerType, a.cTransType] == ["A_t", "B_t", "B_t"])
    #expect([b.cUserType, b.cServerType, b.cTransType] == ["A_t", "A_t", "A_t"])
  }

  @Test func copiesDoNotInheritCNames() throws {
    let model = try interface(
      """
      subsystem inh 1;
      #include <mach/std_types.defs>
      type a = int ctype: foo_t;
      type b = a;
      type c = array[4] of a;
      routine r(p: mach_port_t; x: a; y: b; z: c);
      """)
    #expect(model.type(named: "a")?.cUserType == "foo_t")
    #expect(model.type(named: "b")?.cUserType == "b")
    #expect(model.type(named: "b")?.elementType?.name == "a")
    let c = try #require(model.type(named: "c"))
    #expect(c.cUserType == "c")
    #expect(c.elementType?.cUserType == "foo_t")
    #expect(c.number == 4)
  }

  @Test func translationsAndKernelPortTypes() throws {
    let model = try interface(
      """
      subsystem KernelServer k 1;
      #include <mach/std_types.defs>
      type obj_t = mach_port_t ctype: mach_port_t cservertype: obj_t intran: obj_t obj_lookup(mach_port_t)
        outtran: mach_port_t obj_export(obj_t) destructor: obj_release(obj_t);
      routine r(server: obj_t; out o: obj_t; in p: mach_port_t);
      """)
    #expect(model.portSizeInBits == 64)
    let obj = try #require(model.type(named: "obj_t"))
    // intran re-set the server type to mach_port_t, which KernelServer turns into ipc_port_t.
    #expect([obj.cUserType, obj.cServerType, obj.cTransType] == ["mach_port_t", "ipc_port_t", "obj_t"])
    #expect([obj.inTran, obj.outTran, obj.destructor] == ["obj_lookup", "obj_export", "obj_release"])
    #expect(obj.sizeInBits == 64)
    let r = try routine(model, "r")
    #expect(r.arguments[r.requestPort].traits.contains(.destroy))
    #expect(r.arguments.first { $0.name == "o" }?.traits.contains(.varNeeded) == true)
    #expect(r.arguments[r.userReplyPort].type.sizeInBits == 64)
  }

  // MARK: Per-type facts (§3.3, §4.4; experiments t10, sa, t12, t3)

  @Test func structLayoutFollowsGNU() throws {
    let model = try interface(
      """
      subsystem t10 1000;
      #include <mach/std_types.defs>
      type st2 = struct { int a; char b; int64_t c; };
      type st3 = struct { char a; char b; char c; };
      type st4 = struct { short a; char b; };
      type s1 = struct { int a; intptr_t b; };
      type s2 = struct { char a; int64_t b; };
      type s3 = struct { char a; short b; char c; };
      type structarr = struct[2] of st4;
      """)
    func facts(_ name: String) -> (String, UInt32, UInt32)? {
      model.type(named: name).map { ($0.inName.spelling, $0.sizeInBits, $0.number) }
    }
    #expect(facts("st2")! == ("MACH_MSG_TYPE_INTEGER_32", 32, 4))
    #expect(facts("st3")! == ("MACH_MSG_TYPE_BYTE", 8, 3))
    #expect(model.type(named: "st3")?.padSizeInBytes == 1)
    #expect(facts("st4")! == ("MACH_MSG_TYPE_INTEGER_16", 16, 2))
    #expect(facts("s1")! == ("MACH_MSG_TYPE_BYTE", 8, 16))
    #expect(facts("s2")! == ("MACH_MSG_TYPE_INTEGER_32", 32, 3))
    #expect(facts("s3")! == ("MACH_MSG_TYPE_INTEGER_16", 16, 3))
    #expect(facts("structarr")! == ("MACH_MSG_TYPE_INTEGER_16", 16, 4))
    #expect(model.type(named: "s2")?.structLayout?.differsFromC == true)
    #expect(model.type(named: "s2")?.structLayout?.cSizeInBytes == 16)
    #expect(model.type(named: "s1")?.structLayout?.differsFromC == false)
    #expect(model.type(named: "st2")?.structLayout?.members.map(\.offsetInBytes) == [0, 4, 8])
    #expect(model.type(named: "st2")?.copySemantics == .assignment)
  }

  @Test func structLayoutWarningIsOptIn() throws {
    try #require(Paths.hasGNUMach, Paths.missingGNUMach)
    let text = "subsystem sa 1;\n#include <mach/std_types.defs>\ntype s2 = struct { char a; int64_t b; };\n"
    let resolver = FixtureResolver(memory: ["test.defs": text])
    #expect(run(mainFile: "test.defs", resolver: resolver, defines: []).codes.isEmpty)
    let warned = run(mainFile: "test.defs", resolver: resolver, defines: [], warnsAboutStructLayout: true)
    #expect(warned.codes == [.structLayoutDiffersFromC])
  }

  @Test func longFormThresholds() throws {
    try #require(Paths.hasGNUMach, Paths.missingGNUMach)
    let checked = checkText(
      """
      subsystem t10 1000;
      #include <mach/std_types.defs>
      type bigname = (300, 32);
      type num5 = (5, 32);
      type bigsize = (MACH_MSG_TYPE_INTEGER_32, 512);
      type a4095 = array[4095] of char;
      type a4096 = array[4096] of char;
      type a5000 = array[5000] of int;
      type pn = MACH_MSG_TYPE_PORT_NAME;
      type ptrint = ^int;
      type ptrarr = ^array[100] of int;
      type bitarr = array[64] of MACH_MSG_TYPE_BIT;
      type unb = array[] of int;
      type oolv = ^array[] of int;
      """)
    #expect(checked.codes == [.strangeIPCSize])
    let model = try #require(checked.interface)
    func long(_ name: String) -> Bool? { model.type(named: name)?.isLongForm }
    #expect(long("bigname") == true)
    #expect(long("num5") == false)
    #expect(long("bigsize") == true)
    #expect(long("a4095") == false)
    #expect(long("a4096") == true)
    #expect(long("a5000") == true)
    #expect(long("unb") == true)
    #expect(long("oolv") == true)
    #expect(model.type(named: "pn")?.sizeInBits == 32)
    let ptr = try #require(model.type(named: "ptrint"))
    #expect([ptr.number, ptr.typeSizeInBytes, ptr.minimumTypeSizeInBytes] == [0, 8, 8])
    #expect(!ptr.isInline)
    #expect(model.type(named: "ptrarr")?.number == 0)
    let bits = try #require(model.type(named: "bitarr"))
    #expect([bits.sizeInBits, bits.number, bits.typeSizeInBytes] == [1, 64, 8])
    let unbounded = try #require(model.type(named: "unb"))
    #expect([unbounded.number, unbounded.minimumTypeSizeInBytes] == [512, 0])
    #expect(unbounded.isIndefinite && unbounded.isVariable && unbounded.isInline)
    let ool = try #require(model.type(named: "oolv"))
    #expect(ool.isVariable && !ool.isIndefinite && !ool.isInline && ool.number == 0)
  }

  @Test func countMultipliersComeFromTheElement() throws {
    let r = try routine(
      interface(
        """
        subsystem t12 1200;
        #include <mach/std_types.defs>
        type quad = array[4] of char;
        type pair = array[2] of int;
        type b = array[*:10] of quad;
        type c = array[] of pair;
        routine r(server: mach_port_t; in x: b; out y: c);
        """), "r")
    let x = try #require(r.arguments.first { $0.name == "xCnt" })
    let y = try #require(r.arguments.first { $0.name == "yCnt" })
    #expect(x.multiplier == 4)
    #expect(y.multiplier == 2)
    #expect(r.arguments.first { $0.name == "x" }?.type.number == 40)
    #expect(r.arguments.first { $0.name == "y" }?.type.number == 512)
  }

  @Test func scalarDescriptors() throws {
    let model = try interface(
      """
      subsystem t3 3000;
      #include <mach/std_types.defs>
      type chr = char;
      type i16 = short;
      type i64 = MACH_MSG_TYPE_INTEGER_64;
      type cs = c_string[64];
      type vs = c_string[*:64];
      """)
    let chr = try #require(model.type(named: "chr"))
    #expect([chr.sizeInBits, chr.typeSizeInBytes, chr.padSizeInBytes, chr.minimumTypeSizeInBytes] == [8, 1, 3, 4])
    #expect(model.type(named: "i16")?.padSizeInBytes == 2)
    #expect(model.type(named: "i64")?.minimumTypeSizeInBytes == 8)
    let cs = try #require(model.type(named: "cs"))
    #expect(cs.isString && cs.number == 64 && cs.inName.value == 12 && !cs.isVariable)
    #expect(cs.elementType?.name == "char")
    let vs = try #require(model.type(named: "vs"))
    #expect(vs.isString && vs.isVariable && vs.minimumTypeSizeInBytes == 0)
  }

  @Test func cStringCountIsNoParameter() throws {
    let r = try routine(
      interface("subsystem s 1;\n#include <mach/std_types.defs>\ntype vs = c_string[*:64];\nroutine r(p: mach_port_t; in v: vs);"),
      "r")
    let count = try #require(r.arguments.first { $0.name == "vCnt" })
    #expect(count.traits.isEmpty)
    #expect(!r.requestItems.contains { $0.name == "vCnt" })
  }

  @Test func portNamesAndPolymorphicNames() throws {
    let model = try interface(
      """
      subsystem s 1;
      #include <mach/std_types.defs>
      type rcv = MACH_MSG_TYPE_PORT_RECEIVE;
      type poly = polymorphic;
      type either = MACH_MSG_TYPE_COPY_SEND | MACH_MSG_TYPE_PORT_SEND;
      """)
    let rcv = try #require(model.type(named: "rcv"))
    #expect(rcv.inName.isPolymorphic && rcv.outName.value == 16 && rcv.portRight == .receive)
    #expect(model.type(named: "poly")?.sizeInBits == 32)
    #expect(model.type(named: "either")?.inName.spelling == "MACH_MSG_TYPE_COPY_SEND")
    #expect(model.type(named: "either")?.outName.spelling == "MACH_MSG_TYPE_PORT_SEND")
  }

  @Test func kernelDirectionDeallocIsSilent() throws {
    try #require(Paths.hasGNUMach, Paths.missingGNUMach)
    let checked = checkText(
      "subsystem KernelUser k 1;\n#include <mach/std_types.defs>\nroutine r(p: mach_port_t; in x: int, dealloc);")
    #expect(checked.codes.isEmpty, "\(checked.rendered)")
    #expect(checked.interface?.routines.first?.arguments.first { $0.name == "x" }?.deallocate == .yes)
  }

  // MARK: Type fragments

  @Test func typeOnlyFileIsAFragment() throws {
    let model = try interface("type a = int;\ntype b = c;\n")
    #expect(model.isTypeFragment)
    #expect(model.subsystem == nil)
    #expect(model.externalTypes == ["c"])
    #expect(model.types.map(\.name) == ["a"])
  }

  @Test func fragmentWithARoutineIsNotAFragment() throws {
    try #require(Paths.hasGNUMach, Paths.missingGNUMach)
    let checked = checkText("#include <mach/std_types.defs>\ntype a = int;\nroutine r(p: mach_port_t);")
    #expect(checked.codes == [.noSubsystem])
  }
}

@Suite struct ExternalPreprocessorTests {
  /// GCC's line markers re-enter the main file in new buffers; they all count as the main file.
  @Test func mainFileSpansSeveralBuffers() throws {
    let text = """
      # 1 "frag.defs"
      # 1 "<built-in>"
      # 1 "<command-line>"
      # 1 "frag.defs"
      type a = int;
      # 1 "inc.defs" 1
      type b = int;
      # 3 "frag.defs" 2
      type c = b;

      """
    let front = FrontEnd.run(externallyPreprocessed: text, mainFile: "frag.defs")
    #expect(front.diagnostics.isEmpty)
    let result = Sema.check(try #require(front.syntax), options: SemaOptions(mainFileOf: front.sourceMap))
    #expect(result.diagnostics.isEmpty)
    let interface = try #require(result.interface)
    #expect(interface.isTypeFragment)
    #expect(interface.types.map(\.name) == ["a", "c"])
  }
}

@Suite struct SemaOptionsTests {
  /// Without a source map every buffer counts as the main file; with it, an include-only file
  /// gets the "no subsystem" error.
  @Test func mainFileDecidesTheFragmentRule() throws {
    try #require(Paths.hasGNUMach, Paths.missingGNUMach)
    let checked = checkFixture("bad/b07_no_subsystem.defs")
    #expect(checked.codes == [.noSubsystem])
    let syntax = try #require(checked.front.syntax)
    let everyBufferMain = Sema.check(syntax)
    #expect(everyBufferMain.diagnostics.isEmpty)
    #expect(everyBufferMain.interface?.isTypeFragment == true)
    #expect(everyBufferMain.interface?.types.isEmpty == false)
  }
}
