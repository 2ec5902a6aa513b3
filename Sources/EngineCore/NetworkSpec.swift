// NetworkSpec: the network namespace entry of a container's OCI spec — none: a new, empty one
// (loopback only); host: none at all (the host's network); everything else: join the namespace
// at the sandbox key fixed at create (the container's pinned <exec-root>/netns/<id>, or the
// namespace of the container named by container:X).
import API
import OCI

enum NetworkSpec {
    static func apply(_ spec: inout Spec, _ inspect: Engine_ContainerInspect) {
        guard var linux = spec.linux else { return }
        var namespaces = linux.namespaces ?? []
        namespaces.removeAll { $0.type == .network }
        switch Engine.networkMode(inspect.hostConfig) {
        case "host": break
        case "none": namespaces.append(LinuxNamespace(type: .network))
        default:
            let key = inspect.networkSettings.sandboxKey
            namespaces.append(key.isEmpty ? LinuxNamespace(type: .network) : LinuxNamespace(type: .network, path: key))
        }
        linux.namespaces = namespaces
        spec.linux = linux
    }
}
