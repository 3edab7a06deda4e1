/// A server's return code as it travels in a reply's RetCode word: `kern_return_t`, a MIG
/// protocol code, a `mach_msg_return_t`, or a Hurd `error_t` (errno values with the Hurd's
/// `0x4000_0000` system bits). Zero is success.
public struct ReturnCode: RawRepresentable, Hashable, Sendable, Error, CustomStringConvertible {
  public var rawValue: Int32
  public init(rawValue: Int32) { self.rawValue = rawValue }
  public init(_ rawValue: Int32) { self.rawValue = rawValue }

  public var isSuccess: Bool { rawValue == 0 }

  // MARK: kern_return_t (gnumach <mach/kern_return.h>)
  public static let success = ReturnCode(0)
  public static let kernInvalidAddress = ReturnCode(1)
  public static let kernProtectionFailure = ReturnCode(2)
  public static let kernNoSpace = ReturnCode(3)
  public static let kernInvalidArgument = ReturnCode(4)
  public static let kernFailure = ReturnCode(5)
  public static let kernResourceShortage = ReturnCode(6)
  public static let kernNotReceiver = ReturnCode(7)
  public static let kernNoAccess = ReturnCode(8)
  public static let kernMemoryFailure = ReturnCode(9)
  public static let kernMemoryError = ReturnCode(10)
  public static let kernNotInSet = ReturnCode(12)
  public static let kernNameExists = ReturnCode(13)
  public static let kernAborted = ReturnCode(14)
  public static let kernInvalidName = ReturnCode(15)
  public static let kernInvalidTask = ReturnCode(16)
  public static let kernInvalidRight = ReturnCode(17)
  public static let kernInvalidValue = ReturnCode(18)
  public static let kernUrefsOverflow = ReturnCode(19)
  public static let kernInvalidCapability = ReturnCode(20)
  public static let kernRightExists = ReturnCode(21)
  public static let kernInvalidHost = ReturnCode(22)
  public static let kernMemoryPresent = ReturnCode(23)

  // MARK: MIG (<mach/mig_errors.h>)
  public static let migTypeError = ReturnCode(-300)
  public static let migReplyMismatch = ReturnCode(-301)
  public static let migRemoteError = ReturnCode(-302)
  public static let migBadID = ReturnCode(-303)
  public static let migBadArguments = ReturnCode(-304)
  /// A handler's way to say "do not reply" (the receive loop sends nothing).
  public static let migNoReply = ReturnCode(-305)
  public static let migException = ReturnCode(-306)
  public static let migArrayTooLarge = ReturnCode(-307)
  public static let migServerDied = ReturnCode(-308)
  public static let migDestroyRequest = ReturnCode(-309)

  // MARK: mach_msg_return_t (<mach/message.h>)
  public static let machSendInvalidDest = ReturnCode(0x1000_0003)
  public static let machSendTimedOut = ReturnCode(0x1000_0004)
  public static let machSendInterrupted = ReturnCode(0x1000_0007)
  public static let machRcvTimedOut = ReturnCode(0x1000_4003)
  public static let machRcvTooLarge = ReturnCode(0x1000_4004)
  public static let machRcvInterrupted = ReturnCode(0x1000_4005)
  public static let machRcvPortDied = ReturnCode(0x1000_4009)

  // MARK: Hurd error_t (BSD-numbered errno | 0x4000_0000, glibc <bits/errno.h> for the Hurd)
  /// The Hurd `error_t` for a BSD-numbered errno value.
  public static func hurd(errno: Int32) -> ReturnCode { ReturnCode(0x4000_0000 | errno) }
  /// The errno value if this is a Hurd `error_t`.
  public var hurdErrno: Int32? { rawValue & ~0xFFFF == 0x4000_0000 ? rawValue & 0xFFFF : nil }

  public static let EPERM = hurd(errno: 1)
  public static let ENOENT = hurd(errno: 2)
  public static let ESRCH = hurd(errno: 3)
  public static let EINTR = hurd(errno: 4)
  public static let EIO = hurd(errno: 5)
  public static let ENXIO = hurd(errno: 6)
  public static let E2BIG = hurd(errno: 7)
  public static let EBADF = hurd(errno: 9)
  public static let ENOMEM = hurd(errno: 12)
  public static let EACCES = hurd(errno: 13)
  public static let EFAULT = hurd(errno: 14)
  public static let EBUSY = hurd(errno: 16)
  public static let EEXIST = hurd(errno: 17)
  public static let EXDEV = hurd(errno: 18)
  public static let ENODEV = hurd(errno: 19)
  public static let ENOTDIR = hurd(errno: 20)
  public static let EISDIR = hurd(errno: 21)
  public static let EINVAL = hurd(errno: 22)
  public static let EMFILE = hurd(errno: 24)
  public static let EFBIG = hurd(errno: 27)
  public static let ENOSPC = hurd(errno: 28)
  public static let EROFS = hurd(errno: 30)
  public static let EPIPE = hurd(errno: 32)
  public static let EAGAIN = hurd(errno: 35)
  public static let EOPNOTSUPP = hurd(errno: 45)
  public static let ETIMEDOUT = hurd(errno: 60)
  public static let ENAMETOOLONG = hurd(errno: 63)
  public static let ENOTEMPTY = hurd(errno: 66)
  public static let ENOSYS = hurd(errno: 78)

  public var description: String {
    if let errno = hurdErrno { return "Hurd errno \(errno) (0x\(String(UInt32(bitPattern: rawValue), radix: 16)))" }
    return "return code \(rawValue)"
  }
}
