@_spi(Transport) import HurdRPC
import HurdRPCSocketTestSupport

/// The server side of roundtrip.defs, written against the generated `RoundtripServer` protocol.
package final class RoundTripService: RoundtripServer, RecordsEvents {
  package let events = SharedLog<String>()

  package init() {}

  package func add(_ target: Void, a: Int32, b: Int32, context: CallContext) throws(ReturnCode) -> Int32 { a &+ b }

  package func sumQuad(_ target: Void, values: InlineArray<4, Int32>, context: CallContext) throws(ReturnCode) -> Int64 {
    var total: Int64 = 0
    for index in values.indices { total += Int64(values[index]) }
    return total
  }

  package func reverseList(_ target: Void, list: [Int32], context: CallContext) throws(ReturnCode) -> [Int32] {
    list.reversed()
  }

  package func greet(_ target: Void, name: String, context: CallContext) throws(ReturnCode) -> String { "hello, \(name)" }

  package func bump(_ target: Void, counter: Int32, twice: Bool, context: CallContext) throws(ReturnCode) -> Int32 {
    counter &+ (twice ? 2 : 1)
  }

  package func poke(_ target: Void, value: Int32, context: CallContext) throws(ReturnCode) {
    events.append("poke \(value)")
  }

  package func failWith(_ target: Void, code: Int32, context: CallContext) throws(ReturnCode) {
    throw ReturnCode(code)
  }

  package func divide(_ target: Void, dividend: Int32, divisor: Int32, context: CallContext) throws(ReturnCode)
    -> Roundtrip.DivideReply
  {
    guard divisor != 0 else { throw .EINVAL }
    return Roundtrip.DivideReply(quotient: dividend / divisor, exact: dividend % divisor == 0)
  }
}

/// Only `add` implemented, every other routine left to the generated defaults (EOPNOTSUPP); logs
/// every handler run, so the hostile-request tests see that none ran.
package struct RecordingDefaults: RoundtripServerDefaults, RecordsEvents {
  package let events = SharedLog<String>()

  package init() {}

  package func add(_ target: Void, a: Int32, b: Int32, context: CallContext) throws(ReturnCode) -> Int32 {
    events.append("add")
    return a &+ b
  }
}
