// Hooks: the `hooks` object of config.json (config.md, "POSIX-platform Hooks"). Each hook is a
// program the runtime runs at one lifecycle point with the container state on stdin.

/// Lifecycle hooks, each list run in order (`hooks`).
public struct Hooks: Codable, Sendable, Equatable {
    /// Deprecated: after create, before pivot_root, in the runtime namespace (`prestart`).
    public var prestart: [Hook]?
    /// After the namespaces exist, before pivot_root, in the runtime namespace (`createRuntime`).
    public var createRuntime: [Hook]?
    /// Same point, in the container namespace (`createContainer`).
    public var createContainer: [Hook]?
    /// On start, before the user process execs, in the container namespace (`startContainer`).
    public var startContainer: [Hook]?
    /// After the user process started, in the runtime namespace (`poststart`).
    public var poststart: [Hook]?
    /// After the container is deleted, in the runtime namespace (`poststop`).
    public var poststop: [Hook]?

    /// Creates a hooks object; absent lists run nothing.
    public init(prestart: [Hook]? = nil, createRuntime: [Hook]? = nil, createContainer: [Hook]? = nil,
                startContainer: [Hook]? = nil, poststart: [Hook]? = nil, poststop: [Hook]? = nil) {
        self.prestart = prestart
        self.createRuntime = createRuntime
        self.createContainer = createContainer
        self.startContainer = startContainer
        self.poststart = poststart
        self.poststop = poststop
    }

    /// Every list with its JSON key, in lifecycle order, for validation and logging.
    public var all: [(name: String, hooks: [Hook])] {
        [("prestart", prestart), ("createRuntime", createRuntime), ("createContainer", createContainer),
         ("startContainer", startContainer), ("poststart", poststart), ("poststop", poststop)]
            .compactMap { name, list in list.map { (name, $0) } }
    }
}

/// One hook program (`hooks.<phase>[]`).
public struct Hook: Codable, Sendable, Equatable {
    /// Absolute path of the program, resolved in the runtime namespace (`path`).
    public var path: String
    /// argv, including argv[0] (`args`).
    public var args: [String]?
    /// Environment as `KEY=value` strings (`env`).
    public var env: [String]?
    /// Seconds before the hook is killed; must be positive when given (`timeout`).
    public var timeout: Int?

    /// Creates a hook.
    public init(path: String, args: [String]? = nil, env: [String]? = nil, timeout: Int? = nil) {
        self.path = path
        self.args = args
        self.env = env
        self.timeout = timeout
    }
}
