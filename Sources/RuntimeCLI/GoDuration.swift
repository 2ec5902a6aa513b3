// GoDuration: parses durations the way runc's flags take them (Go's time.ParseDuration):
// "5s", "100ms", "1m30s", "1.5h", units ns/us/µs/ms/s/m/h; a bare number means seconds, as
// berth-runtime accepted before. Negative or malformed values are rejected.
enum GoDuration {
    static func parse(_ text: String) -> Duration? {
        if let seconds = UInt64(text) { return .seconds(seconds) }
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        var rest = Substring(text), total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !$0.isNumber && $0 != "." }
            guard let unit = units.first(where: { $0.0 == unitText }) else { return nil }
            rest = rest.dropFirst(unitText.count)
            total += value * unit.1
        }
        return .nanoseconds(Int64(total * 1e9))
    }
}
