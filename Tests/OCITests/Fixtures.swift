// Fixtures: a realistic config.json for the decoding tests, modelled on `runc spec` output with
// resources, seccomp, hooks, devices, sysctl and user-namespace mappings added, plus keys from
// other platforms and future versions that berth must ignore.
import OCI

enum Fixtures {
    static let fullConfig = #"""
    {
      "ociVersion": "1.2.0",
      "process": {
        "terminal": false,
        "consoleSize": { "height": 24, "width": 80 },
        "user": { "uid": 1000, "gid": 1000, "umask": 18, "additionalGids": [5, 27] },
        "args": ["/bin/sh", "-c", "echo hello"],
        "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
        "cwd": "/work",
        "capabilities": {
          "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
          "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
          "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
          "ambient": ["CAP_NET_BIND_SERVICE"]
        },
        "rlimits": [
          { "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 },
          { "type": "RLIMIT_NPROC", "hard": 4096, "soft": 2048 }
        ],
        "noNewPrivileges": true,
        "apparmorProfile": "berth-default",
        "oomScoreAdj": -500,
        "selinuxLabel": "system_u:system_r:container_t:s0:c1,c2",
        "ioPriority": { "class": "IOPRIO_CLASS_BE", "priority": 4 }
      },
      "root": { "path": "rootfs", "readonly": true },
      "hostname": "web-1",
      "domainname": "example.org",
      "mounts": [
        { "destination": "/proc", "type": "proc", "source": "proc" },
        { "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
          "options": ["nosuid", "strictatime", "mode=755", "size=65536k"] },
        { "destination": "/data", "type": "bind", "source": "/srv/data", "options": ["rbind", "rw"],
          "uidMappings": [{ "containerID": 0, "hostID": 100000, "size": 65536 }],
          "gidMappings": [{ "containerID": 0, "hostID": 100000, "size": 65536 }] }
      ],
      "hooks": {
        "prestart": [{ "path": "/usr/bin/fix-mounts", "args": ["fix-mounts", "arg1"] }],
        "createRuntime": [{ "path": "/usr/bin/netns-setup", "env": ["KEY=value"], "timeout": 5 }],
        "createContainer": [{ "path": "/usr/bin/inside" }],
        "startContainer": [{ "path": "/usr/bin/refresh-ldcache" }],
        "poststart": [{ "path": "/usr/bin/notify-start", "timeout": 10 }],
        "poststop": [{ "path": "/usr/sbin/cleanup.sh", "args": ["cleanup.sh", "-f"] }]
      },
      "annotations": { "com.example.key1": "value1", "org.opencontainers.image.os": "linux" },
      "linux": {
        "uidMappings": [{ "containerID": 0, "hostID": 100000, "size": 65536 }],
        "gidMappings": [{ "containerID": 0, "hostID": 200000, "size": 65536 }],
        "sysctl": { "net.ipv4.ip_forward": "1", "net.core.somaxconn": "256" },
        "resources": {
          "devices": [
            { "allow": false, "access": "rwm" },
            { "allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw" },
            { "allow": true, "type": "b", "major": 8, "access": "r" }
          ],
          "memory": { "limit": 536870912, "reservation": 268435456, "swap": 1073741824, "kernelTCP": 1048576,
                      "swappiness": 0, "disableOOMKiller": false, "checkBeforeUpdate": true },
          "cpu": { "shares": 1024, "quota": 50000, "burst": 10000, "period": 100000, "realtimeRuntime": 950000,
                   "realtimePeriod": 1000000, "cpus": "0-1", "mems": "0", "idle": 0 },
          "pids": { "limit": 512 },
          "blockIO": {
            "weight": 500, "leafWeight": 300,
            "weightDevice": [{ "major": 8, "minor": 0, "weight": 600, "leafWeight": 200 }],
            "throttleReadBpsDevice": [{ "major": 8, "minor": 0, "rate": 104857600 }],
            "throttleWriteBpsDevice": [{ "major": 8, "minor": 0, "rate": 52428800 }],
            "throttleReadIOPSDevice": [{ "major": 8, "minor": 0, "rate": 1000 }],
            "throttleWriteIOPSDevice": [{ "major": 8, "minor": 16, "rate": 300 }]
          },
          "hugepageLimits": [{ "pageSize": "2MB", "limit": 209715200 }],
          "network": { "classID": 1048577, "priorities": [{ "name": "eth0", "priority": 500 }] },
          "rdma": { "mlx5_1": { "hcaHandles": 3, "hcaObjects": 10000 } },
          "unified": { "memory.high": "400000000", "io.weight": "default 100" }
        },
        "cgroupsPath": "/berth/web-1",
        "namespaces": [
          { "type": "pid" }, { "type": "network", "path": "/var/run/netns/web" }, { "type": "ipc" },
          { "type": "uts" }, { "type": "mount" }, { "type": "user" }, { "type": "cgroup" }
        ],
        "devices": [
          { "path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0 },
          { "path": "/dev/fifo", "type": "p" }
        ],
        "seccomp": {
          "defaultAction": "SCMP_ACT_ERRNO",
          "defaultErrnoRet": 1,
          "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
          "flags": ["SECCOMP_FILTER_FLAG_LOG"],
          "listenerPath": "/run/berth/seccomp.sock",
          "listenerMetadata": "web-1",
          "syscalls": [
            { "names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW" },
            { "names": ["personality"], "action": "SCMP_ACT_ALLOW",
              "args": [{ "index": 0, "value": 8, "op": "SCMP_CMP_EQ" }] },
            { "names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
              "args": [{ "index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ" }] },
            { "names": ["mount"], "action": "SCMP_ACT_NOTIFY" }
          ]
        },
        "rootfsPropagation": "rslave",
        "maskedPaths": ["/proc/kcore", "/sys/firmware"],
        "readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger"],
        "mountLabel": "system_u:object_r:container_file_t:s0:c1,c2",
        "intelRdt": { "closID": "guaranteed", "l3CacheSchema": "L3:0=7f0" },
        "personality": { "domain": "LINUX" }
      },
      "windows": { "layerFolders": ["C:\\layers\\1"] },
      "vm": { "kernel": { "path": "/vmlinuz" } },
      "someFutureKey": { "nested": [1, 2, 3] }
    }
    """#

    static var fullConfigData: [UInt8] { Array(fullConfig.utf8) }

    /// A small valid config to which each validation test applies one mistake.
    static func validSpec() -> Spec {
        Spec.defaultSpec(rootless: false, hostUID: 0, hostGID: 0, cgroupNamespace: true)
    }
}
