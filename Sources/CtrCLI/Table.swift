// Table: ctr-style output — left-aligned columns separated by at least three spaces, a header
// row in capitals — and `--format json` as a JSON array of the protobuf messages.
import Foundation
import SwiftProtobuf

enum Table {
    static func render(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index] + 4, withPad: " ", startingAt: 0)
            }.joined()
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n"
    }

    static func json<M: Message>(_ messages: [M]) throws -> String {
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = true
        return "[" + (try messages.map { try $0.jsonString(options: options) }).joined(separator: ",") + "]\n"
    }

    static func print(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
