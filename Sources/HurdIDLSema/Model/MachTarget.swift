/// The target constants of the GNU MIG this compiler is compatible with (Debian
/// `mig-x86-64-gnu 1.8+git20221221`, x86_64; reference §0.1). Sema uses them for the per-type
/// size facts; the planners use them for layouts.
public enum MachTarget {
  /// `sizeof(integer_t)`: the alignment and padding unit of every message item.
  public static let wordSizeInBytes: UInt32 = 4
  /// Word-size integers (counts, poly names, timeouts, options) are `MACH_MSG_TYPE_INTEGER_32`.
  public static let wordSizeInBits: UInt32 = 32
  /// The slot an out-of-line item occupies in a message (`sizeof(void *)`).
  public static let pointerSizeInBytes: UInt32 = 8
  /// `sizeof(mach_msg_header_t)`.
  public static let headerSizeInBytes: UInt32 = 32
  /// `sizeof(mach_msg_type_t)`.
  public static let shortDescriptorSizeInBytes: UInt32 = 4
  /// `sizeof(mach_msg_type_long_t)`.
  public static let longDescriptorSizeInBytes: UInt32 = 12
  /// `array[] of T` is sent inline up to this many bytes, out of line above.
  public static let indefiniteInlineLimitInBytes: UInt32 = 2048
  /// Port size in user mode (`mach_port_name_t`).
  public static let userPortSizeInBits: UInt32 = 32
  /// Port size for the whole run when the subsystem is `KernelUser` or `KernelServer`.
  public static let kernelPortSizeInBits: UInt32 = 64
  /// `MACH_MSG_TYPE_PORT_NAME` keeps this size even in kernel mode.
  public static let portNameSizeInBits: UInt32 = 32
}
