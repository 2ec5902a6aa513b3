// NamespacesCommand: `berth-ctr namespaces ls|create|rm` (alias `ns`).
import API
import ArgumentParser

struct NamespacesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "namespaces", abstract: "Manage namespaces.",
        subcommands: [List.self, Create.self, Remove.self], aliases: ["ns", "namespace"])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List namespaces.", aliases: ["list"])
        @OptionGroup var global: GlobalOptions
        @Option var format: OutputFormat = .table
        @Flag(name: .short, help: "Print only the names.") var quiet = false

        func run() async throws {
            let namespaces = try await withClient(global) { try await $0.listNamespaces() }
            if format == .json { return Table.print(try Table.json(namespaces)) }
            if quiet { return Table.print(namespaces.map { $0.name + "\n" }.joined()) }
            Table.print(Table.render(["NAME", "LABELS"], namespaces.map { namespace in
                [namespace.name, namespace.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")]
            }))
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a namespace.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Argument(help: "Labels as key=value.") var labels: [String] = []

        func run() async throws {
            let pairs = try labels.map { label -> (String, String) in
                let parts = label.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ValidationError("label \(label) is not key=value") }
                return (parts[0], parts[1])
            }
            try await withClient(global) { try await $0.createNamespace(name, labels: Dictionary(pairs) { $1 }) }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove empty namespaces.", aliases: ["remove"])
        @OptionGroup var global: GlobalOptions
        @Argument var names: [String]

        func run() async throws {
            try await withClient(global) { client in
                for name in names {
                    try await client.deleteNamespace(name)
                    Table.print(name + "\n")
                }
            }
        }
    }
}
