/// Draws a series as block characters, scaled to its own maximum.
enum Sparkline {
    static let levels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    static func draw(_ values: [Double], width: Int) -> String {
        let shown = values.suffix(width)
        let top = shown.max() ?? 0
        let line = shown.map { value -> Character in
            guard top > 0, value > 0 else { return " " }
            let index = Int((value / top) * Double(levels.count - 1) + 0.5)
            return levels[min(max(index, 0), levels.count - 1)]
        }
        return String(repeating: " ", count: max(0, width - line.count)) + String(line)
    }
}
