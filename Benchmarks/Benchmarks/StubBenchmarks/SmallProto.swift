import Foundation
import SwiftProtobuf

/// The small message of the stub benchmarks as a protocol-buffers message, written by hand (no
/// protoc): what `message Small { int32 a = 1; int32 b = 2; int64 c = 3; bytes data = 4; }`
/// would generate, for swift-protobuf's binary encoder and decoder.
struct SmallProto: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase {
  static let protoMessageName = "hurdidl.bench.Small"

  var a: Int32 = 0
  var b: Int32 = 0
  var c: Int64 = 0
  var data = Data()
  var unknownFields = SwiftProtobuf.UnknownStorage()

  init() {}

  mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
    while let fieldNumber = try decoder.nextFieldNumber() {
      switch fieldNumber {
      case 1: try decoder.decodeSingularInt32Field(value: &a)
      case 2: try decoder.decodeSingularInt32Field(value: &b)
      case 3: try decoder.decodeSingularInt64Field(value: &c)
      case 4: try decoder.decodeSingularBytesField(value: &data)
      default: break
      }
    }
  }

  func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
    if a != 0 { try visitor.visitSingularInt32Field(value: a, fieldNumber: 1) }
    if b != 0 { try visitor.visitSingularInt32Field(value: b, fieldNumber: 2) }
    if c != 0 { try visitor.visitSingularInt64Field(value: c, fieldNumber: 3) }
    if !data.isEmpty { try visitor.visitSingularBytesField(value: data, fieldNumber: 4) }
    try unknownFields.traverse(visitor: &visitor)
  }

  func _protobuf_generated_isEqualTo(other: SmallProto) -> Bool {
    a == other.a && b == other.b && c == other.c && data == other.data && unknownFields == other.unknownFields
  }
}
