// PublishedPorts: -p and -P as host ports — each binding's container port ("80/tcp"), host
// address (empty: all) and host port (empty or 0: a free one the kernel would hand out, found
// by binding port 0 and reading it back, as docker picks from the ephemeral range); -P
// publishes every exposed port not published already. The result feeds portmap's portMappings
// and inspect's NetworkSettings.Ports.
import API
import Errdefs
import Glibc

struct PublishedPort: Sendable {
    var mapping: CNIConfig.PortMapping
    var binding: Engine_PortBinding
}

extension Engine {
    static func publishedPorts(_ inspect: Engine_ContainerInspect) throws(CoreError) -> [PublishedPort] {
        var bindings = inspect.hostConfig.portBindings
        if inspect.hostConfig.publishAllPorts {
            let published = Set(bindings.map { portKey($0.containerPort) })
            for port in inspect.config.exposedPorts where !published.contains(portKey(port)) {
                var binding = Engine_PortBinding()
                binding.containerPort = portKey(port)
                bindings.append(binding)
            }
        }
        return try bindings.map { binding throws(CoreError) in
            let key = portKey(binding.containerPort)
            let parts = key.split(separator: "/")
            guard let containerPort = Int(parts[0]), (1...65535).contains(containerPort), parts.count == 2,
                  ["tcp", "udp", "sctp"].contains(parts[1]) else {
                throw CoreError(.invalidArgument, "invalid port specification: \"\(binding.containerPort)\"")
            }
            let proto = String(parts[1])
            var hostPort = Int(binding.hostPort.split(separator: "-").first ?? "0") ?? -1
            guard (0...65535).contains(hostPort) else { throw CoreError(.invalidArgument, "invalid host port: \"\(binding.hostPort)\"") }
            if hostPort == 0 { hostPort = try freePort(udp: proto == "udp") }
            var bound = Engine_PortBinding()
            bound.containerPort = key
            bound.hostIp = binding.hostIp.isEmpty ? "0.0.0.0" : binding.hostIp
            bound.hostPort = String(hostPort)
            return PublishedPort(mapping: .init(hostPort: hostPort, containerPort: containerPort, proto: proto, hostIP: binding.hostIp),
                                 binding: bound)
        }
    }

    /// A port nothing on the host listens on now: bind 0 and read back what the kernel chose.
    static func freePort(udp: Bool) throws(CoreError) -> Int {
        let fd = socket(AF_INET, Int32(udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw CoreError(SystemCallFailure(call: "socket", errno: errno)) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard bound == 0 else { throw CoreError(SystemCallFailure(call: "bind", errno: errno)) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
