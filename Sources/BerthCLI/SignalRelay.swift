// SignalRelay: docker's --sig-proxy for the attached commands that work through NIO and Swift's
// task pool (`run -i`, `start -a`, `attach`): many threads, any of which a signal may pick. So
// BerthMain blocks the forwarded signals before the first thread starts (every later thread
// inherits the mask) and the main thread, idle otherwise, reads them from a signalfd. While a
// container without a terminal is attached (`target`), each goes to it as a Kill; before and
// after, a signal takes its default action, as if it had never been blocked.
import API
import Glibc
import SwiftProtobuf
import Synchronization
import Sys

/// A command that may forward the signals it is sent (docker's --sig-proxy).
protocol SignalProxying {
    var proxiesSignals: Bool { get }
}

enum SignalRelay {
    /// The attached container and the connection to send its Kills on; nil when none is attached.
    private static let target = Mutex<(id: String, connection: EngineConnection)?>(nil)

    private static let proxy = Mutex<SignalProxy?>(nil)

    /// Blocks the forwarded signals on the calling thread, the main one, before any other starts.
    /// If that fails, signals keep their default actions.
    static func prepare() {
        let made = try? SignalProxy()
        proxy.withLock { $0 = made }
    }

    /// Serves the signals `prepare` blocked, on the calling thread, for good. Should reading them
    /// ever fail, they are unblocked and take their default actions from then on.
    static func serve() -> Never {
        if let proxy = proxy.withLock({ $0 }) {
            while let signals = try? proxy.wait() {
                for signal in signals {
                    guard let (id, connection) = target.withLock({ $0 }) else {
                        defaultAction(signal)
                        continue
                    }
                    Task {
                        let request = SignalProxy.kill(id, signal)
                        let _: Google_Protobuf_Empty? = try? await connection.client.call(EngineAPI.containers, "Kill", request)
                    }
                }
            }
            SignalProxy.unblock()
        }
        var none = sigset_t()
        sigemptyset(&none)
        while true { sigsuspend(&none) }
    }

    /// Forwards the signals to `id` from now on (nothing happens unless `prepare` ran).
    static func attach(_ id: String, _ connection: EngineConnection) { target.withLock { $0 = (id, connection) } }

    /// Signals take their default actions again.
    static func detach() { target.withLock { $0 = nil } }

    /// What `signal` would have done unblocked: end the process, stop it (blocked again once it
    /// is continued), or nothing.
    private static func defaultAction(_ signal: Int32) {
        var one = sigset_t()
        sigemptyset(&one)
        sigaddset(&one, signal)
        pthread_sigmask(SIG_UNBLOCK, &one, nil)
        raise(signal)
        pthread_sigmask(SIG_BLOCK, &one, nil)
    }
}
