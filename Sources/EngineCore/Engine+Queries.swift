// Engine+Queries: `ps` and `inspect` — container summaries with docker's status text ("Up 5
// seconds", "Exited (0) 2 minutes ago") and filters (id, name, status, label, ancestor).
import API
import Errdefs
import Foundation
import SwiftProtobuf

extension Engine {
    public func inspect(_ reference: String) throws(CoreError) -> Engine_ContainerInspect {
        try store.resolve(reference).inspect
    }

    /// `ps`: served from the ContainerView, without waiting for the actor.
    public nonisolated func list(_ request: Engine_ListContainersRequest) throws(CoreError) -> Engine_ListContainersResponse {
        var filters: [String: [String]] = [:]
        for filter in request.filters {
            guard ["id", "name", "status", "label", "ancestor", "exited"].contains(filter.key) else {
                throw CoreError(.invalidArgument, "invalid filter '\(filter.key)'")
            }
            filters[filter.key, default: []].append(filter.value)
        }
        let showAll = request.all || filters["status"] != nil || filters["exited"] != nil
        var summaries: [Engine_ContainerSummary] = []
        let now = Date()
        for stored in containerView.all.sorted(by: { $0.inspect.created.date > $1.inspect.created.date }) {
            let inspect = stored.inspect
            guard showAll || inspect.state.status == .running || inspect.state.status == .paused || inspect.state.status == .restarting else { continue }
            guard Self.matches(inspect, filters) else { continue }
            var summary = Engine_ContainerSummary()
            summary.id = inspect.id
            summary.names = ["/" + inspect.name]
            summary.image = inspect.config.image
            summary.imageID = inspect.image
            summary.command = ([inspect.path] + inspect.args).joined(separator: " ")
            summary.created = inspect.created
            summary.state = inspect.state.status
            summary.status = Self.statusText(inspect.state, now: now)
            summary.labels = inspect.config.labels
            summary.ports = Self.summaryPorts(inspect)
            summary.networks = Self.summaryNetworks(inspect)
            summaries.append(summary)
            if request.limit > 0 && summaries.count >= request.limit { break }
        }
        var response = Engine_ListContainersResponse()
        response.containers = summaries
        return response
    }

    /// Docker's summary ports: a running container's published ports as bound on the host, and
    /// its exposed ports that are not published (no host part); none when it is not running.
    static func summaryPorts(_ inspect: Engine_ContainerInspect) -> [Engine_PortBinding] {
        guard [.running, .paused, .restarting].contains(inspect.state.status) else { return [] }
        var ports = inspect.networkSettings.ports
        let published = Set(ports.map(\.containerPort))
        for port in inspect.config.exposedPorts where !published.contains(port) {
            var exposed = Engine_PortBinding()
            exposed.containerPort = port
            ports.append(exposed)
        }
        return ports
    }

    /// The names of the networks a container is on; "host" or "none" for those modes.
    static func summaryNetworks(_ inspect: Engine_ContainerInspect) -> [String] {
        let mode = networkMode(inspect.hostConfig)
        if mode == "host" || mode == "none" { return [mode] }
        return inspect.networkSettings.networks.keys.sorted()
    }

    static func matches(_ inspect: Engine_ContainerInspect, _ filters: [String: [String]]) -> Bool {
        for (key, values) in filters {
            let ok = values.contains { value in
                switch key {
                case "id": return inspect.id.hasPrefix(value)
                case "name": return inspect.name.contains(value.hasPrefix("/") ? String(value.dropFirst()) : value)
                case "status": return inspect.state.status.dockerName == value
                case "exited": return inspect.state.status == .exited && "\(inspect.state.exitCode)" == value
                case "ancestor": return inspect.config.image == value || inspect.image.hasPrefix(value) || inspect.image == "sha256:" + value
                case "label":
                    let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
                    guard let labelValue = inspect.config.labels[parts[0]] else { return false }
                    return parts.count == 1 || labelValue == parts[1]
                default: return false
                }
            }
            if !ok { return false }
        }
        return true
    }

    /// "Up 3 seconds", "Up 2 minutes (Paused)", "Exited (1) 5 seconds ago", "Created", "Restarting (1) 1 second ago".
    static func statusText(_ state: Engine_ContainerState, now: Date) -> String {
        switch state.status {
        case .created: return "Created"
        case .running: return "Up \(humanDuration(now.timeIntervalSince(state.startedAt.date)))"
        case .paused: return "Up \(humanDuration(now.timeIntervalSince(state.startedAt.date))) (Paused)"
        case .restarting: return "Restarting (\(state.exitCode)) \(humanDuration(now.timeIntervalSince(state.finishedAt.date))) ago"
        case .removing: return "Removal In Progress"
        case .dead: return "Dead"
        default: return "Exited (\(state.exitCode)) \(humanDuration(now.timeIntervalSince(state.finishedAt.date))) ago"
        }
    }

    /// Docker's go-units HumanDuration.
    static func humanDuration(_ interval: TimeInterval) -> String {
        let seconds = Int(interval.rounded(.down))
        if seconds < 1 { return "Less than a second" }
        if seconds == 1 { return "1 second" }
        if seconds < 60 { return "\(seconds) seconds" }
        let minutes = seconds / 60
        if minutes == 1 { return "About a minute" }
        if minutes < 60 { return "\(minutes) minutes" }
        let hours = Int((Double(seconds) / 3600).rounded())
        if hours == 1 { return "About an hour" }
        if hours < 48 { return "\(hours) hours" }
        if hours < 24 * 7 * 2 { return "\(hours / 24) days" }
        if hours < 24 * 30 * 2 { return "\(hours / 24 / 7) weeks" }
        if hours < 24 * 365 * 2 { return "\(hours / 24 / 30) months" }
        return "\(hours / 24 / 365) years"
    }
}
