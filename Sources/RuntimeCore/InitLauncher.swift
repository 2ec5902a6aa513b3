// InitLauncher: starts `berth-runtime init` (create's and exec's stage 1) with the descriptor
// layout InitOptions describes: 0-2 stdio, 3..<3+N the preserved ones, then the sync socket,
// exec.fifo and, if any, the console socket. The init runs from a ProtectedExecutable, never from
// the host's binary file itself (CVE-2019-5736).
import Errdefs
import Sys

enum InitLauncher {
    /// Spawns the init; `configure` fills in what the layout does not decide (bundle, exec target…).
    static func start(preserveFDs: Int32, sync: FileDescriptor, fifo: FileDescriptor, console: FileDescriptor?,
                      bundle: String, containerID: String, stateRoot: String, configure: (inout InitOptions) -> Void = { _ in }) throws(CoreError) -> Int32 {
        let base = 3 + preserveFDs
        var fds: [Int32] = [0, 1, 2] + (0..<preserveFDs).map { 3 + $0 } + [sync.rawValue, fifo.rawValue]
        if let console { fds.append(console.rawValue) }
        var options = InitOptions(syncFD: base, fifoFD: base + 1, consoleFD: console == nil ? nil : base + 2,
                                  bundle: bundle, noPivot: false, preserveFDs: preserveFDs, containerID: containerID)
        configure(&options)
        // Above every slot of the layout, so arranging the layout cannot overwrite it before execve.
        let executable = try ProtectedExecutable.open(scratchDirectory: stateRoot).0.duplicate(atLeast: Int32(fds.count))
        var spawn = Spawn(executable: "/proc/self/fd/\(executable.rawValue)", arguments: options.arguments,
                          environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"])
        spawn.argv0 = "berth-runtime"
        spawn.fileDescriptors = fds
        // The descriptor must stay open until execve has opened the file.
        return try withExtendedLifetime(executable) { () throws(CoreError) in try spawn.start() }
    }
}
