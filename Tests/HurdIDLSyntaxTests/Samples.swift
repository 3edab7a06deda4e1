/// Valid inputs, one per construct. The parser tests check their trees; the grammar coverage
/// test checks that together they enter every production of `Grammar/defs.ebnf`.
enum Samples {
  static let subsystem = "subsystem KernelUser KernelServer kern 2000;"
  static let options = """
    subsystem opt 100;
    serverprefix S_;
    userprefix U_;
    serverdemux my_demux;
    error my_error_proc;
    waittime -1;
    waittime my_timeout_var;
    nowaittime;
    msgoption MACH_SEND_INTERRUPT;
    rcsid "$Id: x $";
    import "imp.h";
    uimport <mach/uimp.h>;
    simport <sys/ types.h >;
    skip;
    skip 3;
    ;
    """
  static let types = """
    subsystem types 100;
    type i = MACH_MSG_TYPE_INTEGER_32;
    type p = polymorphic;
    type n = 12;
    type pair = MACH_MSG_TYPE_MOVE_SEND|MACH_MSG_TYPE_PORT_SEND;
    type poly = polymorphic|MACH_MSG_TYPE_PORT_NAME;
    type lf = (MACH_MSG_TYPE_INTEGER_32, 16);
    type lf2 = (MACH_MSG_TYPE_STRING_C, 8*1024, dealloc, islong);
    type ref = i;
    type a1 = array[] of int;
    type a2 = array[*] of int;
    type a3 = array[*:1024] of char;
    type a4 = array[(2+3)*4-1] of char;
    type a5 = array[7/2] of a4;
    type s1 = struct[4] of int;
    type s2 = struct { int a; char b; };
    type o1 = ^array[] of int;
    type o2 = ^int;
    type c1 = c_string[64];
    type c2 = c_string[*:1024];
    """
  static let annotations = """
    subsystem ann 100;
    type obj_t = mach_port_t
        ctype: mach_port_t
        cusertype: user_obj_t
        cservertype: obj_t
        intran: obj_t obj_lookup(mach_port_t)
        intranpayload: obj_t payload_lookup
        outtran: mach_port_t obj_export(obj_t)
        destructor: obj_release(obj_t);
    """
  static let routines = """
    subsystem rt 100;
    routine r(
        server : mach_port_t;
        in a : int;
        out b : int, dealloc;
        inout c : int, dealloc[], notdealloc;
        requestport rq : mach_port_t;
        replyport rp : mach_port_make_send_once_t;
        sreplyport srp : mach_port_make_send_once_t;
        ureplyport urp : mach_port_make_send_once_t;
        waittime wt : natural_t;
        msgoption mo : natural_t;
        msgseqno seq : mach_port_seqno_t;
        in f : pointer_t, islong, isnotlong, servercopy, countinout, retcode;
        in q : quad_t = array[4] of int ctype: quad);
    simpleroutine s();
    """
  static let mixedCase = """
    SUBSYSTEM KERNELUSER ci 100;
    TYPE i = MACH_MSG_TYPE_INTEGER_32;
    Type p = POLYMORPHIC;
    Routine r(SERVER: p; IN x: i; Out y: i, DEALLOC);
    SKIP;
    SimpleRoutine s(server: p);
    """
  static let hexadecimal = "subsystem hx 0x100;"

  static let all: [(name: String, text: String)] = [
    ("subsystem", subsystem), ("options", options), ("types", types), ("annotations", annotations),
    ("routines", routines), ("mixedCase", mixedCase), ("hexadecimal", hexadecimal),
  ]
}
