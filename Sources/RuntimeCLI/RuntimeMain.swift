// RuntimeMain: berth-runtime's entry point. The container's init (InitFastPath.swift) and the hot
// verbs a shim runs per container (FastPath.swift) are parsed by hand and never start
// swift-argument-parser; everything else, and anything those parsers do not fully understand,
// goes to the argument parser (RuntimeCommand).
#if canImport(Glibc)
import Glibc
#endif
import RuntimeCore

public enum RuntimeMain {
    /// berth-runtime's entry point.
    public static func main() {
        let args = Array(CommandLine.arguments.dropFirst())
        if args.first == "init", let options = parseInit(Array(args.dropFirst())) {
            ContainerInit.run(options)
        }
        if let invocation = parseHot(args) {
            exit(invocation.command.execute(invocation.global))
        }
        RuntimeCommand.main()
    }
}
