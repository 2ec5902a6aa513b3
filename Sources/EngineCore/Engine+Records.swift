// Engine+Records: how the engine's actor saves a container. The change is made in memory at once
// (every later call sees it), then the record is written durably — temporary file, fsync, rename,
// directory fsync — on RecordWriter's threads, in order per container, while the actor serves
// other calls; the caller resumes once the record is on disk, so what it does next (deleting a
// task after recording its exit, answering the client) still comes after the write. Before, the
// fsyncs ran on the actor: under load every `ps` waited behind them.
import API
import Errdefs
import Records

extension Engine {
    /// Records a new or changed container: in memory now, on disk when this returns.
    func saveContainer(_ stored: Engine_StoredContainer) async throws(CoreError) {
        let write = store.update(stored)
        try await RecordWriter.shared.perform(key: stored.inspect.id, write)
    }

    /// Forgets a container: gone from memory now, its directory removed (after any write of its
    /// record still queued) when this returns.
    func forgetContainer(_ id: String) async {
        let removal = store.remove(id)
        _ = try? await RecordWriter.shared.perform(key: id) { () throws(CoreError) in removal() }
    }
}
