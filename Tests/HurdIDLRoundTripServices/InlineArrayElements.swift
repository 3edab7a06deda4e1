/// Fixed arrays in the message words are `InlineArray`s in generated code, which are neither
/// `Equatable` nor `Sequence`s: the tests compare and build them through Arrays.
extension InlineArray where Element: Copyable {
  /// The elements, in order.
  package var elements: [Element] { indices.map { self[$0] } }

  /// From an Array of exactly `count` elements.
  package init(elementsOf array: [Element]) {
    precondition(array.count == Self.count, "\(array.count) elements for an InlineArray of \(Self.count)")
    self.init { array[$0] }
  }
}
