// WriterTests: JSONWriter's compact and indented layouts (Go's MarshalIndent, as runc prints),
// key order, escaping, and that what it writes parses back to the same tree.
import JSON
import Testing

private func text(_ value: JSONValue, _ format: JSONFormat = .compact) -> String {
    String(decoding: JSONWriter.write(value, format), as: UTF8.self)
}

@Suite struct WriterTests {
    static let sample = JSONValue.object([
        JSONMember("status", .string("running")),
        JSONMember("annotations", .object([])),
        JSONMember("pid", .number("42")),
        JSONMember("args", .array([.string("/bin/sh"), .string("-c")])),
        JSONMember("empty", .array([])),
        JSONMember("nested", .object([JSONMember("b", .bool(true)), JSONMember("a", .null)])),
    ])

    @Test func compactKeepsOrder() {
        #expect(text(Self.sample) == #"{"status":"running","annotations":{},"pid":42,"args":["/bin/sh","-c"],"empty":[],"nested":{"b":true,"a":null}}"#)
    }

    @Test func compactSorted() {
        #expect(text(Self.sample, .compactSorted) == #"{"annotations":{},"args":["/bin/sh","-c"],"empty":[],"nested":{"a":null,"b":true},"pid":42,"status":"running"}"#)
    }

    @Test func prettyIsGoMarshalIndent() {
        let expected = """
        {
          "annotations": {},
          "args": [
            "/bin/sh",
            "-c"
          ],
          "empty": [],
          "nested": {
            "a": null,
            "b": true
          },
          "pid": 42,
          "status": "running"
        }
        """
        #expect(text(Self.sample, .prettySorted) == expected)
        #expect(text(.array([]), .prettySorted) == "[]")
        #expect(text(.string("x"), .prettySorted) == "\"x\"")
    }

    @Test func sortsKeysByBytes() {
        let value = JSONValue.object([JSONMember("b", .null), JSONMember("B", .null), JSONMember("a", .null),
                                      JSONMember("é", .null), JSONMember("_", .null)])
        #expect(text(value, .compactSorted) == #"{"B":null,"_":null,"a":null,"b":null,"é":null}"#)
    }

    @Test func escapesOnlyWhatJSONRequires() {
        let value = JSONValue.string("q\" b\\ /path \n\r\t\u{8}\u{C}\u{0}\u{1F} é 😀 \u{7F}")
        #expect(text(value) == #""q\" b\\ /path \n\r\t\b\f\u0000\u001f é 😀 "# + "\u{7F}\"")
    }

    @Test func roundTripsThroughTheParser() throws {
        for format in [JSONFormat.compact, .compactSorted, .prettySorted] {
            let written = JSONWriter.write(Self.sample, format)
            let parsed = try JSONParser.parse(written)
            if format.sortedKeys {
                #expect(JSONWriter.write(parsed, .compactSorted) == JSONWriter.write(Self.sample, .compactSorted))
            } else {
                #expect(parsed == Self.sample)
            }
        }
        let tricky = JSONValue.array([.string("\u{0}\u{1}\"\\ 😀 \u{FFFD}"), .number("18446744073709551615"),
                                      .number("-1.5e-7")])
        #expect(try JSONParser.parse(JSONWriter.write(tricky)) == tricky)
    }
}
