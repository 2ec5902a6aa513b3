// EventFilter: the subset of containerd's filter syntax that Events.Subscribe takes — one
// expression is `field==value`, `field!=value` or `field~=regexp` conditions joined by commas
// (all must hold); a subscription with several expressions takes an event any of them selects.
// Fields: topic, namespace. Values may be quoted ("…").
import Errdefs
import Foundation

public struct EventFilter: Sendable {
    enum Operation: Sendable { case equal, notEqual, matches }

    struct Condition: Sendable {
        var field: String
        var operation: Operation
        var value: String
        var pattern: NSRegularExpressionBox?

        func holds(topic: String, namespace: String) -> Bool {
            let actual = field == "topic" ? topic : namespace
            switch operation {
            case .equal: return actual == value
            case .notEqual: return actual != value
            case .matches:
                let range = NSRange(actual.startIndex..., in: actual)
                return pattern?.expression.firstMatch(in: actual, range: range) != nil
            }
        }
    }

    let alternatives: [[Condition]]

    /// Parses `expressions`; throws InvalidArgument naming the bad one. No expressions select everything.
    public init(_ expressions: [String]) throws(CoreError) {
        var alternatives: [[Condition]] = []
        for expression in expressions where !expression.isEmpty {
            var conditions: [Condition] = []
            for part in expression.split(separator: ",") {
                conditions.append(try Self.condition(String(part).trimmingCharacters(in: .whitespaces), in: expression))
            }
            alternatives.append(conditions)
        }
        self.alternatives = alternatives
    }

    public func selects(topic: String, namespace: String) -> Bool {
        alternatives.isEmpty || alternatives.contains { $0.allSatisfy { $0.holds(topic: topic, namespace: namespace) } }
    }

    private static func condition(_ text: String, in expression: String) throws(CoreError) -> Condition {
        for (token, operation) in [("==", Operation.equal), ("!=", .notEqual), ("~=", .matches)] {
            guard let range = text.range(of: token) else { continue }
            let field = String(text[..<range.lowerBound]).trimmingCharacters(in: .whitespaces)
            var value = String(text[range.upperBound...]).trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            guard field == "topic" || field == "namespace" else {
                throw CoreError(.invalidArgument, "filter \(expression): unknown field \"\(field)\" (topic or namespace)")
            }
            var pattern: NSRegularExpressionBox?
            if operation == .matches {
                do { pattern = NSRegularExpressionBox(try NSRegularExpression(pattern: value)) } catch {
                    throw CoreError(.invalidArgument, "filter \(expression): bad regular expression \(value)")
                }
            }
            return Condition(field: field, operation: operation, value: value, pattern: pattern)
        }
        throw CoreError(.invalidArgument, "filter \(expression): expected field==value, field!=value or field~=regexp")
    }
}

/// NSRegularExpression is immutable and thread-safe once made.
struct NSRegularExpressionBox: @unchecked Sendable {
    let expression: NSRegularExpression
    init(_ expression: NSRegularExpression) { self.expression = expression }
}
