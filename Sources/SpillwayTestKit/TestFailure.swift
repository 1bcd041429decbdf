/// A test helper's verdict, in words: what it waited for or checked, and what it found.
package struct TestFailure: Error, CustomStringConvertible {
    package let description: String

    package init(_ description: String) {
        self.description = description
    }
}
