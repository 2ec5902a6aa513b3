// InteractiveInput: what `-i` and `-t` add to run, start, attach and exec — our stdin copied to
// the container in order (a thread reads it into a stream one task sends from), our terminal in
// raw mode with its size sent at once and on every SIGWINCH, and docker's detach keys (ctrl-p
// ctrl-q) to leave a tty session without stopping it.
import Dispatch
import Foundation
import Glibc
import Sys

final class InteractiveInput: @unchecked Sendable {
    enum Event: Sendable {
        case input([UInt8])
        case resize(width: UInt32, height: UInt32)
        case end
        case detach
    }

    /// The events to send, in order.
    let events: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation
    private var terminal: TerminalMode?
    private var resizeSource: (any DispatchSourceSignal)?

    /// Reads stdin when `stdin`; with `tty` (and a terminal here), raw mode, resizes and detach keys.
    init(stdin: Bool, tty: Bool, detachKeys: [UInt8] = [0x10, 0x11]) {
        (events, continuation) = AsyncStream<Event>.makeStream()
        let interactiveTerminal = tty && stdin && isatty(0) != 0
        if tty && isatty(1) != 0 {
            if interactiveTerminal { terminal = TerminalMode.raw() }
            if let size = TerminalMode.size() { continuation.yield(.resize(width: size.width, height: size.height)) }
            signal(SIGWINCH, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: SIGWINCH, queue: .global())
            source.setEventHandler { [continuation] in
                if let size = TerminalMode.size() { continuation.yield(.resize(width: size.width, height: size.height)) }
            }
            source.resume()
            resizeSource = source
        }
        guard stdin else {
            continuation.yield(.end)
            return
        }
        let keys = interactiveTerminal ? detachKeys : []
        let thread = Thread { [continuation] in
            var buffer = [UInt8](repeating: 0, count: 32 << 10)
            var matched = 0
            while true {
                let count = read(0, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                var chunk = Array(buffer[0..<count])
                if !keys.isEmpty {
                    for (index, byte) in chunk.enumerated() {
                        matched = byte == keys[matched] ? matched + 1 : (byte == keys[0] ? 1 : 0)
                        if matched == keys.count {
                            let before = Array(chunk[0..<max(0, index + 1 - keys.count)])
                            if !before.isEmpty { continuation.yield(.input(before)) }
                            continuation.yield(.detach)
                            continuation.finish()
                            return
                        }
                    }
                    // Hold back a partial detach sequence at the end of this chunk.
                    if matched > 0 { chunk.removeLast(min(matched, chunk.count)) }
                }
                if !chunk.isEmpty { continuation.yield(.input(chunk)) }
            }
            continuation.yield(.end)
        }
        thread.stackSize = 256 << 10
        thread.start()
    }

    /// Restores the terminal and stops watching its size.
    func restore() {
        resizeSource?.cancel()
        terminal?.restore()
        terminal = nil
    }
}
