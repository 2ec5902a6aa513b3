// Test helper: hex strings (spaces and comments allowed) to bytes and back.

func hex(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var pending: UInt8?
    for line in text.split(separator: "\n") {
        let code = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        for ch in code where ch.isHexDigit {
            let v = UInt8(ch.hexDigitValue!)
            if let hi = pending { out.append(hi << 4 | v); pending = nil } else { pending = v }
        }
    }
    precondition(pending == nil, "odd number of hex digits")
    return out
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { b in
        let s = String(b, radix: 16)
        return s.count == 1 ? "0" + s : s
    }.joined()
}
