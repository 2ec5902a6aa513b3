// Namespaces, devices, sysctls and the console from inside real containers: a user namespace
// with id mappings, a network namespace joined by path, spec devices, namespaced sysctls, and a
// pty whose master arrives on --console-socket; a user namespace made elsewhere, joined by path.
import Foundation
import Sys
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

@Suite(.serialized, .offPool) struct NamespaceTests {
    @Test func userNamespaceWithMappings() throws {
        try withRuntime { rt in
            let r = try rt.inside("cat /proc/self/uid_map /proc/self/gid_map; id -u; echo $$") {
                var linux = $0["linux"] as? [String: Any] ?? [:]
                var namespaces = linux["namespaces"] as? [[String: Any]] ?? []
                namespaces.append(["type": "user"])
                linux["namespaces"] = namespaces
                linux["uidMappings"] = [["containerID": 0, "hostID": 100_000, "size": 65536]]
                linux["gidMappings"] = [["containerID": 0, "hostID": 100_000, "size": 65536]]
                $0["linux"] = linux
            }
            let words = r.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" })
            #expect(words == ["0", "100000", "65536", "0", "100000", "65536", "0", "1"], "\(r.stdout) \(r.stderr)")
        }
    }

    @Test func networkNamespaceJoinedByPath() throws {
        let name = "berth-test-\(getpid())"
        #expect(try runProgram("/sbin/ip", ["netns", "add", name]).status == 0)
        defer { _ = try? runProgram("/sbin/ip", ["netns", "del", name]) }
        var st = stat()
        #expect(stat("/var/run/netns/\(name)", &st) == 0)
        try withRuntime { rt in
            let r = try rt.inside("readlink /proc/self/ns/net") {
                var linux = $0["linux"] as? [String: Any] ?? [:]
                var namespaces = (linux["namespaces"] as? [[String: Any]] ?? []).filter { $0["type"] as? String != "network" }
                namespaces.append(["type": "network", "path": "/var/run/netns/\(name)"])
                linux["namespaces"] = namespaces
                $0["linux"] = linux
            }
            #expect(r.stdout == "net:[\(st.st_ino)]\n", "\(r.stdout) \(r.stderr)")
        }
    }

    @Test func sysctlAndSpecDevices() throws {
        try withRuntime { rt in
            let r = try rt.inside("cat /proc/sys/net/ipv4/ip_forward; ls -l /dev/mynull | cut -c1; echo x > /dev/mynull && echo written") {
                $0.setLinux("sysctl", ["net.ipv4.ip_forward": "1"])
                $0.setLinux("devices", [["path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 438]])
            }
            #expect(r.stdout == "1\nc\nwritten\n", "\(r.stdout) \(r.stderr)")
        }
    }

    @Test func consoleSocketReceivesAWorkingPty() throws {
        try withRuntime { rt in
            let socketPath = rt.work + "/console.sock"
            let listener = try UnixSocket.bind(path: socketPath)
            let id = rt.newID()
            let bundle = try rt.bundle {
                $0.setProcess("args", ["/bin/sh", "-c", "tty; stty size; echo hello from the pty"])
                $0.setProcess("terminal", true)
                $0.setProcess("consoleSize", ["height": 40, "width": 120])
            }
            let created = try rt.runtime(["create", "--bundle", bundle, "--console-socket", socketPath, id])
            #expect(created.status == 0, "\(created.stderr)")
            // The connection waits in the backlog; the master is already in its buffer.
            let conn = listener.withRawValue { raw in FileDescriptor(adopting: accept(raw, nil, nil)) }
            let message = try UnixSocket.receiveFileDescriptors(from: conn, maxDescriptors: 1)
            let master = try #require(message.descriptors.first)
            #expect(try rt.runtime(["start", id]).status == 0)
            var output = ""
            let deadline = ContinuousClock.now + .seconds(10)
            while !output.contains("hello from the pty"), ContinuousClock.now < deadline {
                var pfd = pollfd(fd: master.rawValue, events: Int16(POLLIN), revents: 0)
                guard poll(&pfd, 1, 200) > 0 else { continue }
                var buffer = [UInt8](repeating: 0, count: 1024)
                let n = read(master.rawValue, &buffer, buffer.count)
                if n <= 0 { break }
                output += String(decoding: buffer[..<n], as: UTF8.self)
            }
            #expect(output.contains("/dev/pts/0"), "\(output)")
            #expect(output.contains("40 120"), "\(output)")
            #expect(output.contains("hello from the pty\r\n"), "\(output)")
        }
    }
}

/// A user namespace made outside the runtime (as a pod sandbox would), joined by path.
@Suite(.serialized, .offPool) struct UserNamespaceByPathTests {
    @Test func userNamespaceJoinedByPath() throws {
        var holder = Spawn(executable: "/usr/bin/unshare", arguments: ["--user", "/bin/sleep", "60"],
                           environment: ["PATH=/usr/bin:/bin"])
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(null) }
        holder.fileDescriptors = [null, null, null]
        let pid = try holder.start()
        defer { kill(pid, SIGKILL); var status: Int32 = 0; waitpid(pid, &status, 0) }
        // unshare execs sleep once its namespace exists.
        let deadline = ContinuousClock.now + .seconds(5)
        while (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) != "/usr/bin/sleep",
              ContinuousClock.now < deadline { usleep(2_000) }
        // As a pod sandbox would: the namespace's owner maps 65536 ids from host 100000.
        for file in ["uid_map", "gid_map"] {
            try "0 100000 65536\n".write(toFile: "/proc/\(pid)/\(file)", atomically: false, encoding: .utf8)
        }
        var st = stat()
        try #require(stat("/proc/\(pid)/ns/user", &st) == 0)

        try withRuntime { rt in
            let r = try rt.inside("readlink /proc/self/ns/user; cat /proc/self/uid_map; id -u") {
                var linux = $0["linux"] as? [String: Any] ?? [:]
                var namespaces = linux["namespaces"] as? [[String: Any]] ?? []
                namespaces.append(["type": "user", "path": "/proc/\(pid)/ns/user"])
                linux["namespaces"] = namespaces
                $0["linux"] = linux
            }
            let words = r.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" })
            #expect(words == ["user:[\(st.st_ino)]", "0", "100000", "65536", "0"], "\(r.stdout) \(r.stderr)")
        }
    }
}
