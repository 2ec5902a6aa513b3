// OCI hooks on a real container: all six stages run, in order, where the spec says (prestart,
// createRuntime, poststart and poststop in the runtime's namespaces; createContainer in the
// container's before pivot_root; startContainer inside the container), with the state on stdin;
// a failing createRuntime hook fails create and leaves nothing behind.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

@Suite(.serialized, .offPool) struct HooksTests {
    func hook(_ script: String) -> [String: Any] {
        ["path": "/bin/sh", "args": ["sh", "-c", script], "env": ["PATH=/usr/bin:/bin"]]
    }

    @Test func allStagesRunInOrderWithTheState() throws {
        try withRuntime { rt in
            let dir = rt.work + "/hooks"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let id = rt.newID()
            var rootfs = ""
            let bundle = try rt.bundle {
                $0.setProcess("args", ["/bin/sleep", "1000"])
                $0.setRoot(readonly: false)
                $0["hooks"] = [
                    "prestart": [hook("cat > \(dir)/prestart.json; echo prestart >> \(dir)/order")],
                    "createRuntime": [hook("echo createRuntime >> \(dir)/order")],
                    "createContainer": [hook("echo createContainer >> \(dir)/order")],
                    // Inside the container, after pivot_root: its own /bin/sh, its own /tmp.
                    "startContainer": [hook("cat > /tmp/startContainer.json")],
                    "poststart": [hook("cat > \(dir)/poststart.json; echo poststart >> \(dir)/order")],
                    "poststop": [hook("echo poststop >> \(dir)/order"), hook("exit 1"), hook("echo after-failure >> \(dir)/order")],
                ]
            }
            rootfs = bundle + "/rootfs"
            let created = try rt.runtime(["create", "--bundle", bundle, id])
            #expect(created.status == 0, "\(created.stderr)")
            let pid = try statePid(rt, id)
            let prestart = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/prestart.json"))) as? [String: Any]
            #expect(prestart?["status"] as? String == "creating" && prestart?["id"] as? String == id)
            #expect(prestart?["pid"] as? Int == Int(pid))
            #expect(!FileManager.default.fileExists(atPath: rootfs + "/tmp/startContainer.json"))
            #expect(try rt.runtime(["start", id]).status == 0)
            try waitUntil { FileManager.default.fileExists(atPath: rootfs + "/tmp/startContainer.json") }
            try waitUntil { ((try? Data(contentsOf: URL(fileURLWithPath: rootfs + "/tmp/startContainer.json"))) ?? Data()).count > 0 }
            let started = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: rootfs + "/tmp/startContainer.json"))) as? [String: Any]
            #expect(started?["id"] as? String == id && started?["status"] as? String == "created", "\(String(describing: started))")
            let poststart = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/poststart.json"))) as? [String: Any]
            #expect(poststart?["status"] as? String == "running")
            let deleted = try rt.runtime(["delete", "--force", id])
            #expect(deleted.status == 0)
            #expect(deleted.stderr.contains("level=warning") && deleted.stderr.contains("poststop"), "\(deleted.stderr)")
            let order = try String(contentsOfFile: dir + "/order", encoding: .utf8)
            #expect(order == "prestart\ncreateRuntime\ncreateContainer\npoststart\npoststop\nafter-failure\n", "\(order)")
        }
    }

    @Test func initHooksGetTheIDWithoutANewKeyring() throws {
        try withRuntime { rt in
            let dir = rt.work + "/hooks-nokeyring"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let id = rt.newID()
            let bundle = try rt.bundle {
                $0.setProcess("args", ["/bin/true"])
                $0["hooks"] = ["createContainer": [hook("cat > \(dir)/createContainer.json")]]
            }
            #expect(try rt.runtime(["run", "--no-new-keyring", "--bundle", bundle, id]).status == 0)
            let state = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/createContainer.json"))) as? [String: Any]
            #expect(state?["id"] as? String == id && state?["status"] as? String == "creating")
        }
    }

    @Test func failingCreateRuntimeHookFailsCreate() throws {
        try withRuntime { rt in
            let id = rt.newID()
            let cgroup = "/berth-test-hookfail-\(id)"
            let bundle = try rt.bundle {
                $0.setProcess("args", ["/bin/sleep", "1000"])
                $0.setLinux("cgroupsPath", cgroup)
                $0["hooks"] = ["createRuntime": [hook("echo no network for you >&2; exit 9")]]
            }
            let r = try rt.runtime(["create", "--bundle", bundle, id])
            #expect(r.status == 1)
            #expect(r.stderr.contains("createRuntime hook /bin/sh failed: exit status 9: no network for you"), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: "\(rt.root)/\(id)"))
            #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/pids\(cgroup)"))
        }
    }
}
