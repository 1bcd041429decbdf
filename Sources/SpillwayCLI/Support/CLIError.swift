/// A one-line error for the person at the terminal; ArgumentParser prints it and exits 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
