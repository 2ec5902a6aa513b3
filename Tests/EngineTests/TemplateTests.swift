// TemplateTests: docker's --format as berth's CLI reads it — `\t` and `\n` escapes, actions with
// spaces and json, a table's header and its columns aligned as Go's tabwriter does (padding 3,
// widths in runes), and the errors for an unclosed or unsupported action.
@testable import BerthCLI
import Testing

@Suite struct TemplateTests {
    @Test func escapesBecomeTabsAndNewlines() {
        #expect(Template.unescapingTabsAndNewlines(#"a\tb\nc"#) == "a\tb\nc")
        #expect(Template.unescapingTabsAndNewlines(#"\\t"#) == "\\\t")  // the backslash before `\t` stays
        #expect(Template.unescapingTabsAndNewlines(#"\x and a last \"#) == #"\x and a last \"#)
        #expect(Template.unescapingTabsAndNewlines("plain") == "plain")
    }

    @Test func fieldsJsonAndText() throws {
        let item: [String: Any] = ["ID": "abc", "State": ["Status": "running"], "Labels": ["b": "2", "a": "1"]]
        #expect(try Template("{{.ID}}: {{ .State.Status }}").render(item) == "abc: running")
        #expect(try Template("{{json .Labels}}").render(item) == #"{"a":"1","b":"2"}"#)
        #expect(try Template("{{ json .ID }}").render(item) == #""abc""#)
        #expect(try Template("{{.Labels}}").render(item) == "map[a:1 b:2]")
        #expect(try Template(#"{{.ID}}\t{{.ID}}\n"#).render(item) == "abc\tabc\n")
        #expect(throws: CLIError.self) { try Template("{{.Missing}}").render(item) }
    }

    @Test func badActionsAreRefused() {
        for format in ["{{.ID", "{{ID}}", "x {{ json ID }}"] {
            let error = #expect(throws: CLIError.self, "\(format)") { try Template(format) }
            #expect(error?.code == 125)
        }
    }

    @Test func tablesHaveAHeaderAndAlignedColumns() throws {
        let template = try Template(#"table {{.ID}}\t{{.Names}}\t{{.Status}}"#)
        #expect(template.isTable)
        let header = template.header(["ID": "CONTAINER ID", "Names": "NAMES"])
        #expect(header == "CONTAINER ID\tNAMES\tSTATUS")
        let rows = [header, try template.render(["ID": "abc", "Names": "café", "Status": "Up"]),
                    try template.render(["ID": "0123456789abcdef", "Names": "web", "Status": ""])]
        #expect(Template.align(rows) == """
            CONTAINER ID       NAMES   STATUS
            abc                café    Up
            0123456789abcdef   web     \n
            """)
    }
}
