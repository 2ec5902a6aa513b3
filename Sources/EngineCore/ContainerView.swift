// ContainerView: every container's record as last saved, for `ps` to read without the engine's
// actor, as dockerd serves `docker ps` from its in-memory view instead of locking each
// container. Under load the actor has many calls queued, and a `ps` that waited its turn waited
// for all of them. ContainerStore changes the view in the same step as its own copy, before the
// change's caller resumes, so a client always sees its own changes.
import API
import Synchronization

final class ContainerView: Sendable {
    private let containers = Mutex<[String: Engine_StoredContainer]>([:])

    func set(_ stored: Engine_StoredContainer) { containers.withLock { $0[stored.inspect.id] = stored } }

    func remove(_ id: String) {
        containers.withLock {
            $0.removeValue(forKey: id)
            if $0.isEmpty { $0 = [:] }  // the last one gone: give back the table a busy spell grew
        }
    }

    /// A copy of every record (values share their storage: no message is copied).
    var all: [Engine_StoredContainer] { containers.withLock { Array($0.values) } }
}
