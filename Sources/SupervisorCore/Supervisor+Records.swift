// Supervisor+Records: the Namespaces and Containers services over the record stores. A
// namespace comes into being with its first container (as containerd's do) or by Create, and
// goes only when empty; a container cannot be deleted while it has a task, and deleting one
// removes its snapshot and collects the layers nothing else needs.
import API
import Errdefs
import Foundation
import RPC
import SwiftProtobuf

extension Supervisor {
    static let namespaceRegistry = "all"

    func registerNamespaces(on registry: inout ServiceRegistry) {
        registry.unary(SupervisorAPI.namespaces, "Create") { [self] (request: Supervisor_CreateNamespaceRequest, _) in
            try Identifier.validate(request.namespace.name, what: "namespace")
            try records.withLock {
                guard try namespaces.read(Supervisor_Namespace.self, namespace: Self.namespaceRegistry, id: request.namespace.name) == nil else {
                    throw CoreError(.alreadyExists, "namespace \(request.namespace.name) already exists")
                }
                try namespaces.write(request.namespace, namespace: Self.namespaceRegistry, id: request.namespace.name)
            }
            await events.publish(topic: "/namespaces/create", namespace: request.namespace.name, event: request.namespace)
            var response = Supervisor_CreateNamespaceResponse()
            response.namespace = request.namespace
            return response
        }
        registry.unary(SupervisorAPI.namespaces, "List") { [self] (_: Supervisor_ListNamespacesRequest, _) in
            var response = Supervisor_ListNamespacesResponse()
            response.namespaces = namespaces.all(Supervisor_Namespace.self, namespace: Self.namespaceRegistry).records.map(\.1)
            return response
        }
        registry.unary(SupervisorAPI.namespaces, "Delete") { [self] (request: Supervisor_DeleteNamespaceRequest, _) -> Google_Protobuf_Empty in
            let name = request.name
            let busy = await tasks.namespacesInUse().contains(name)
            try records.withLock {
                guard try namespaces.read(Supervisor_Namespace.self, namespace: Self.namespaceRegistry, id: name) != nil else {
                    throw CoreError(.notFound, "namespace \(name) does not exist")
                }
                guard !busy, containers.ids(namespace: name).isEmpty else {
                    throw CoreError(.failedPrecondition, "namespace \(name) must be empty to be deleted: it still has containers")
                }
                try namespaces.delete(namespace: Self.namespaceRegistry, id: name)
            }
            var gone = Supervisor_Namespace()
            gone.name = name
            await events.publish(topic: "/namespaces/delete", namespace: name, event: gone)
            return Google_Protobuf_Empty()
        }
    }

    /// Records `name` as a namespace if it is not one yet; returns whether it was new.
    func ensureNamespace(_ name: String) throws -> Bool {
        try records.withLock {
            guard try namespaces.read(Supervisor_Namespace.self, namespace: Self.namespaceRegistry, id: name) == nil else { return false }
            var namespace = Supervisor_Namespace()
            namespace.name = name
            try namespaces.write(namespace, namespace: Self.namespaceRegistry, id: name)
            return true
        }
    }

    func registerContainers(on registry: inout ServiceRegistry) {
        registry.unary(SupervisorAPI.containers, "Create") { [self] (request: Supervisor_CreateContainerRequest, context) in
            let ns = try Self.namespace(of: context)
            var container = request.container
            try Identifier.validate(container.id, what: "container id")
            guard !container.spec.value.isEmpty else {
                throw CoreError(.invalidArgument, "container \(container.id) has no OCI spec")
            }
            if try ensureNamespace(ns) {
                var created = Supervisor_Namespace()
                created.name = ns
                await events.publish(topic: "/namespaces/create", namespace: ns, event: created)
            }
            if !container.image.isEmpty {
                guard try containers.read(Supervisor_Container.self, namespace: ns, id: container.id) == nil else {
                    throw CoreError(.alreadyExists, "container \(container.id) already exists in namespace \(ns)")
                }
                container = try prepareFromImage(container, namespace: ns)
            }
            let now = Google_Protobuf_Timestamp(date: Date())
            container.createdAt = now
            container.updatedAt = now
            if container.runtime.name.isEmpty { container.runtime.name = ShimResolver.berthRuntime }
            do {
                try records.withLock {
                    guard try containers.read(Supervisor_Container.self, namespace: ns, id: container.id) == nil else {
                        throw CoreError(.alreadyExists, "container \(container.id) already exists in namespace \(ns)")
                    }
                    try containers.write(container, namespace: ns, id: container.id)
                }
            } catch {
                if !container.snapshotKey.isEmpty && !request.container.image.isEmpty {
                    try? snapshots.remove(ns, key: container.snapshotKey)
                    collectSnapshots(in: ns)
                }
                throw error
            }
            await events.publish(topic: "/containers/create", namespace: ns, event: container)
            var response = Supervisor_CreateContainerResponse()
            response.container = container
            return response
        }
        registry.unary(SupervisorAPI.containers, "Get") { [self] (request: Supervisor_GetContainerRequest, context) in
            var response = Supervisor_GetContainerResponse()
            response.container = try container(request.id, in: try Self.namespace(of: context))
            return response
        }
        registry.unary(SupervisorAPI.containers, "List") { [self] (request: Supervisor_ListContainersRequest, context) in
            let ns = try Self.namespace(of: context)
            let labelFilters = try request.filters.map { (text) throws(CoreError) -> (String, String) in
                let parts = text.components(separatedBy: "==")
                guard parts.count == 2, parts[0].hasPrefix("labels.") else {
                    throw CoreError(.invalidArgument, "filter \(text): only labels.KEY==VALUE is supported")
                }
                return (String(parts[0].dropFirst("labels.".count)), parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
            }
            var response = Supervisor_ListContainersResponse()
            response.containers = containers.all(Supervisor_Container.self, namespace: ns).records.map(\.1).filter { container in
                labelFilters.isEmpty || labelFilters.contains { container.labels[$0.0] == $0.1 }
            }
            return response
        }
        registry.unary(SupervisorAPI.containers, "Update") { [self] (request: Supervisor_UpdateContainerRequest, context) in
            let ns = try Self.namespace(of: context)
            let fields = request.updateMask.isEmpty ? ["spec", "labels"] : request.updateMask
            guard fields.allSatisfy({ ["spec", "labels"].contains($0) }) else {
                throw CoreError(.invalidArgument, "update_mask \(fields): only spec and labels can change")
            }
            let updated = try records.withLock { () throws -> Supervisor_Container in
                var record = try container(request.container.id, in: ns)
                if fields.contains("spec") {
                    guard !request.container.spec.value.isEmpty else { throw CoreError(.invalidArgument, "an update of the spec needs one") }
                    record.spec = request.container.spec
                }
                if fields.contains("labels") { record.labels = request.container.labels }
                record.updatedAt = Google_Protobuf_Timestamp(date: Date())
                try containers.write(record, namespace: ns, id: record.id)
                return record
            }
            await events.publish(topic: "/containers/update", namespace: ns, event: updated)
            var response = Supervisor_UpdateContainerResponse()
            response.container = updated
            return response
        }
        registry.unary(SupervisorAPI.containers, "Delete") { [self] (request: Supervisor_DeleteContainerRequest, context) -> Google_Protobuf_Empty in
            let ns = try Self.namespace(of: context)
            guard await !tasks.hasTask(ns, request.id) else {
                throw CoreError(.failedPrecondition, "container \(request.id) has a task: delete the task first")
            }
            let record = try containers.read(Supervisor_Container.self, namespace: ns, id: request.id)
            let removed = try records.withLock { try containers.delete(namespace: ns, id: request.id) }
            guard removed else { throw CoreError(.notFound, "no container \(request.id) in namespace \(ns)") }
            if let key = record?.snapshotKey, !key.isEmpty {
                try? snapshots.remove(ns, key: key)
                collectSnapshots(in: ns)  // its layers, if no image and no other container needs them
            }
            var gone = Supervisor_DeleteContainerRequest()
            gone.id = request.id
            await events.publish(topic: "/containers/delete", namespace: ns, event: gone)
            return Google_Protobuf_Empty()
        }
    }

    func container(_ id: String, in ns: String) throws(CoreError) -> Supervisor_Container {
        guard let container = try containers.read(Supervisor_Container.self, namespace: ns, id: id) else {
            throw CoreError(.notFound, "no container \(id) in namespace \(ns)")
        }
        return container
    }
}
